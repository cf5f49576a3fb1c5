/* paths.h: where the data that ships with dealstream (the catalog, the
 * sample articles, the labelled corpus) is found, relative to the running
 * binary and never through a path compiled in:
 *
 *   <binary's dir>/DS_DATA_RELATIVE/<what>   installed: <prefix>/bin/dealstream
 *                                            and <prefix>/share/dealstream
 *   <binary's dir>/share/dealstream/<what>   a build tree, where CMake links
 *   <binary's dir>/../share/dealstream/<what>  share/dealstream into the sources
 *                                            (the second for tests/, bench/)
 *
 * DS_DATA_RELATIVE is the installation's bin-to-data path as CMake computed
 * it (by default ../share/dealstream). Thread-safe. */
#ifndef DS_PATHS_H
#define DS_PATHS_H

#include <stddef.h>

/* Finds the directory <what> (catalog, samples, corpus) as above. Returns 0
 * with its path in out, or -1 with out holding the places looked in
 * ("A, B or C"), for an error message. */
int ds_data_path(const char *what, char *out, size_t cap);

#endif
