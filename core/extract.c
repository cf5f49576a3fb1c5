/* extract.c: rule-based extraction of deal mentions; see extract.h. May
 * call catalog.h, mention.h and common/ (util.h).
 *
 * Pipeline per article (ds_extract): fold the text (catalog.h), split
 * sentences; per sentence find items (catalog entities, cue phrases,
 * numbers) with one longest-match pass over a first-word hash, read the
 * systems the catalog lacks from their shape (find_designations), split
 * clauses at words that introduce an earlier deal ("follows", "after",
 * ...), turn numbers into money, quantities, years and dates and mark the
 * clauses that recall; then assemble one primary mention per system family
 * the article reports as news (build_primary: gather each clause, settle
 * parties, system and quantity, stage, dates, value) and one context
 * mention per family it only recalls (build_context). */
#include "extract.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- lexicon of cue phrases ------------------------------------------- */

enum cue {
    CUE_DEAL = 1, CUE_SIGNED, CUE_PLANNED, CUE_INTENT, CUE_DELIVERY, CUE_FRAMEWORK, CUE_EXECUTIVE,
    CUE_OPTION, CUE_JV, CUE_SELECTION, CUE_APPROVAL, CUE_LOA, CUE_AGGREGATE, CUE_COMBINED,
    CUE_CONTEXT, CUE_CLAUSE, CUE_ORDINAL, CUE_ANOTHER, CUE_BATCHWORD, CUE_WEEKDAY, CUE_MONTH,
    CUE_UNIT, CUE_SCALE, CUE_CURWORD, CUE_CURPREFIX, CUE_NUMWORD, CUE_LOCALVARIANT, CUE_REST,
    CUE_TODAY, CUE_YESTERDAY, CUE_NEGATION, CUE_IN, CUE_CEREMONY, CUE_FIRST, CUE_EXERCISE, CUE_VALUEWORD, CUE_NEUTRAL,
    CUE_RESPECTIVELY, CUE_DENIAL, CUE_MEMORANDUM, CUE_AMENDMENT, CUE_CANCEL, CUE_SOFAR, CUE_INVEST, CUE_RIVAL,
    CUE__COUNT
};
#define BIT(c) ((uint64_t)1 << (c))

/* The val of a CUE_CLAUSE word: it also names a framework ("under a
 * framework agreement"), or opens an aside ("..., which also saw the
 * signing of ..."), or places what follows after an earlier event
 * ("after", "following"). */
enum { CLAUSE_FRAMEWORK = 1, CLAUSE_ASIDE = 2, CLAUSE_AFTER = 3 };

/* The val of a verb that signs only when its object is a contract
 * ("concluded a contract", not "concluded final negotiations"), and of the
 * nouns that name talks. */
enum { LEX_SIGNS_UNLESS_TALKS = 1, LEX_TALKS = 1 };

/* The val of a letter of intent: signing one states an intent, it buys nothing. */
enum { LEX_LETTER_OF_INTENT = 2 };

/* The val of "agreed": it signs when a deal verb follows it ("agreed in
 * February to buy 12 ANKA"), and only then. */
enum { LEX_AGREES_TO = 3 };

/* The val of "has not yet been signed": whatever else signs, the deal is planned. */
enum { LEX_NOT_YET = 4 };

/* The val of "more": it follows the count it adds ("12 more"), where
 * "another" and "additional" may lead it. */
enum { LEX_MORE = 1 };

typedef struct lex {
    const char *text;
    unsigned char cue;
    double val;        /* ordinal, weekday, month, scale, number */
    const char *str;   /* currency code or unit category */
} lex;

static const lex lexicon[] = {
    /* deal nouns and verbs */
    {"deal", CUE_DEAL}, {"deals", CUE_DEAL}, {"contract", CUE_DEAL}, {"contracts", CUE_DEAL},
    {"agreement", CUE_DEAL}, {"agreements", CUE_DEAL}, {"order", CUE_DEAL}, {"orders", CUE_DEAL},
    {"purchase", CUE_DEAL}, {"purchases", CUE_DEAL}, {"purchasing", CUE_DEAL}, {"buy", CUE_DEAL}, {"buys", CUE_DEAL},
    {"acquires", CUE_DEAL}, {"procures", CUE_DEAL}, {"purchased", CUE_SIGNED}, {"acquired", CUE_SIGNED},
    {"procured", CUE_SIGNED},

    {"acquire", CUE_DEAL}, {"acquisition", CUE_DEAL}, {"procure", CUE_DEAL}, {"procurement", CUE_DEAL},
    {"sale", CUE_DEAL}, {"export deal", CUE_DEAL}, {"pact", CUE_DEAL}, {"umowa", CUE_DEAL},
    {"umowe", CUE_DEAL}, {"supply", CUE_DEAL}, {"be supplied", CUE_DEAL}, {"ordered", CUE_SIGNED},
    /* signed */
    {"signed", CUE_SIGNED}, {"inked", CUE_SIGNED}, {"sealed", CUE_SIGNED}, {"concluded", CUE_SIGNED, LEX_SIGNS_UNLESS_TALKS},
    {"finalized", CUE_SIGNED}, {"finalised", CUE_SIGNED}, {"formalized", CUE_SIGNED},
    {"formalised", CUE_SIGNED}, {"awarded", CUE_SIGNED}, {"clinched", CUE_SIGNED},
    {"placed an order", CUE_SIGNED}, {"placed orders", CUE_SIGNED}, {"has bought", CUE_SIGNED},
    {"bought", CUE_SIGNED}, {"agreed to buy", CUE_SIGNED}, {"agreed to purchase", CUE_SIGNED},
    {"agreed", CUE_SIGNED, LEX_AGREES_TO},
    {"attended the signing", CUE_SIGNED}, {"signing ceremony took place", CUE_SIGNED},
    {"podpisala", CUE_SIGNED}, {"podpisana", CUE_SIGNED}, {"podpisano", CUE_SIGNED}, {"podpisal", CUE_SIGNED},
    {"zostanie podpisana", CUE_PLANNED}, {"zostanie podpisany", CUE_PLANNED}, {"zostana podpisane", CUE_PLANNED},
    {"put his signature", CUE_SIGNED}, {"put her signature", CUE_SIGNED},
    {"put its signature", CUE_SIGNED}, {"signatures have been put", CUE_SIGNED},
    {"assinam", CUE_SIGNED}, {"assinou", CUE_SIGNED}, {"firmo", CUE_SIGNED}, {"firmaron", CUE_SIGNED},
    {"imzaladi", CUE_SIGNED}, {"secured a contract", CUE_SIGNED}, {"won a contract", CUE_SIGNED},
    {"signs", CUE_SIGNED}, {"approved", CUE_SIGNED}, {"sign off", CUE_SIGNED}, {"exercised", CUE_EXERCISE}, {"exercises an option", CUE_EXERCISE},
    {"exercises the option", CUE_EXERCISE}, {"exercises options", CUE_EXERCISE}, {"exercising", CUE_EXERCISE},
    {"took up", CUE_EXERCISE},
    /* a contract (or its tranche) that takes effect binds from that day */
    {"entered into force", CUE_SIGNED}, {"came into force", CUE_SIGNED}, {"enters into force", CUE_SIGNED},
    {"took effect", CUE_SIGNED}, {"takes effect", CUE_SIGNED}, {"became effective", CUE_SIGNED},
    /* planned */
    {"will sign", CUE_PLANNED}, {"to sign", CUE_PLANNED}, {"will be signed", CUE_PLANNED},
    {"to be signed", CUE_PLANNED}, {"expected to be signed", CUE_PLANNED}, {"set to sign", CUE_PLANNED},
    {"plans to sign", CUE_PLANNED}, {"final talks", CUE_PLANNED, LEX_TALKS}, {"wrapped up", CUE_PLANNED},
    {"talks concluded", CUE_PLANNED}, {"concluded negotiations", CUE_PLANNED},
    {"concluded talks", CUE_PLANNED}, {"ahead of the signing", CUE_PLANNED},
    {"will attend", CUE_PLANNED}, {"to attend a signing", CUE_PLANNED}, {"head to", CUE_PLANNED},
    {"heads to", CUE_PLANNED}, {"will be inked", CUE_PLANNED}, {"is expected to sign", CUE_PLANNED},
    {"has not yet been signed", CUE_PLANNED, LEX_NOT_YET}, {"not yet been signed", CUE_PLANNED, LEX_NOT_YET},
    {"not yet signed", CUE_PLANNED, LEX_NOT_YET}, {"yet to be signed", CUE_PLANNED, LEX_NOT_YET},
    {"scheduled to be signed", CUE_PLANNED}, {"to be concluded", CUE_PLANNED}, {"is scheduled for", CUE_PLANNED},
    {"will be concluded", CUE_PLANNED}, {"could be signed", CUE_PLANNED}, {"may be signed", CUE_PLANNED},
    {"would be signed", CUE_PLANNED}, {"should be signed", CUE_PLANNED}, {"to be inked", CUE_PLANNED}, {"is to sign", CUE_PLANNED},
    {"are to sign", CUE_PLANNED}, {"due to sign", CUE_PLANNED}, {"due to be signed", CUE_PLANNED},
    {"signing ceremony", CUE_CEREMONY}, {"ceremony", CUE_CEREMONY},
    /* intent: no deal */
    {"discuss", CUE_INTENT}, {"discussed", CUE_INTENT}, {"discussing", CUE_INTENT},
    {"talks", CUE_INTENT, LEX_TALKS}, {"proposed", CUE_INTENT}, {"propose", CUE_INTENT}, {"proposal", CUE_INTENT},
    {"considering", CUE_INTENT}, {"considers", CUE_INTENT}, {"plan to", CUE_INTENT},
    {"plans to", CUE_INTENT}, {"bid", CUE_INTENT}, {"bids", CUE_INTENT}, {"interest in", CUE_INTENT},
    {"negotiating", CUE_INTENT}, {"negotiations", CUE_INTENT, LEX_TALKS}, {"could", CUE_INTENT},
    {"might", CUE_INTENT}, {"may", CUE_INTENT}, {"expected to form", CUE_INTENT},
    {"letter of intent", CUE_INTENT, LEX_LETTER_OF_INTENT}, {"letters of intent", CUE_INTENT, LEX_LETTER_OF_INTENT},
    {"declaration of intent", CUE_INTENT, LEX_LETTER_OF_INTENT}, {"pitch", CUE_INTENT}, {"pitched", CUE_INTENT}, {"seeks", CUE_INTENT},
    {"hopes", CUE_INTENT}, {"would", CUE_INTENT}, {"eyeing", CUE_INTENT}, {"eyes", CUE_INTENT},
    {"potential", CUE_INTENT},
    /* a plan in the pluperfect was given up or overtaken: "had planned to buy 100" */
    {"had planned to", CUE_INTENT}, {"had hoped to", CUE_INTENT}, {"had intended to", CUE_INTENT},
    {"had sought to", CUE_INTENT}, {"had wanted to", CUE_INTENT}, {"had tried to", CUE_INTENT}, {"no agreement", CUE_NEGATION}, {"not signed", CUE_NEGATION},
    {"no contract", CUE_NEGATION}, {"no contracts", CUE_NEGATION},
    {"no contracts have been signed", CUE_NEGATION}, {"no contract has been signed", CUE_NEGATION},
    {"no contract has yet been signed", CUE_NEGATION}, {"no deal has been signed", CUE_NEGATION}, {"did not", CUE_NEGATION}, {"without a deal", CUE_NEGATION},
    {"yet to", CUE_NEGATION}, {"has not", CUE_NEGATION}, {"have not", CUE_NEGATION},
    /* denials: "denied reports that it had signed" signs nothing */
    {"denied", CUE_DENIAL}, {"denies", CUE_DENIAL}, {"deny", CUE_DENIAL}, {"denial", CUE_DENIAL},
    {"dismissed reports", CUE_DENIAL}, {"rejected reports", CUE_DENIAL}, {"refuted", CUE_DENIAL},
    {"no contract has been signed", CUE_DENIAL}, {"no deal has been signed", CUE_DENIAL},
    /* stages DOMAIN.md adds: memoranda, amendments of an existing contract,
     * cancellations (updates of a deal, for resolution to apply) */
    {"memorandum of understanding", CUE_MEMORANDUM}, {"memorandum", CUE_MEMORANDUM}, {"mou", CUE_MEMORANDUM},
    {"memoranda", CUE_MEMORANDUM},
    {"amendment", CUE_AMENDMENT}, {"amended", CUE_AMENDMENT}, {"contract modification", CUE_AMENDMENT},
    {"modification", CUE_AMENDMENT}, {"modifies", CUE_AMENDMENT}, {"modified", CUE_AMENDMENT},
    {"aneks", CUE_AMENDMENT}, {"annex", CUE_AMENDMENT},
    {"cancelled", CUE_CANCEL}, {"canceled", CUE_CANCEL}, {"cancels", CUE_CANCEL}, {"cancel", CUE_CANCEL},
    {"cancellation", CUE_CANCEL}, {"scrapped", CUE_CANCEL}, {"scraps", CUE_CANCEL}, {"terminated", CUE_CANCEL},
    {"terminates", CUE_CANCEL}, {"termination", CUE_CANCEL}, {"rescinded", CUE_CANCEL},
    /* a shortlist chooses no one yet */
    /* rivalry: the systems named after it compete with the deal's, no one buys them */
    {"competes with", CUE_RIVAL}, {"compete with", CUE_RIVAL}, {"competing with", CUE_RIVAL},
    {"competing against", CUE_RIVAL}, {"in competition with", CUE_RIVAL}, {"competition with", CUE_RIVAL},
    {"evaluated against", CUE_RIVAL}, {"rivals", CUE_RIVAL}, {"rival systems", CUE_RIVAL}, {"competitor", CUE_RIVAL},
    {"competitors", CUE_RIVAL}, {"passing over", CUE_RIVAL}, {"in preference to", CUE_RIVAL},
    /* running totals: "has received more than 100 so far" is no event */
    {"so far", CUE_SOFAR}, {"thus far", CUE_SOFAR}, {"to date", CUE_SOFAR},
    /* delivery */
    {"delivered", CUE_DELIVERY}, {"arrived", CUE_DELIVERY}, {"handed over", CUE_DELIVERY},
    {"took delivery", CUE_DELIVERY}, {"handover", CUE_DELIVERY},
    {"inducted", CUE_DELIVERY}, {"inducts", CUE_DELIVERY}, {"induction", CUE_DELIVERY}, /* into service */
    {"received the first", CUE_DELIVERY}, {"receives", CUE_DELIVERY}, {"received", CUE_DELIVERY},
    {"landed", CUE_DELIVERY}, {"land in", CUE_DELIVERY}, {"were flown", CUE_DELIVERY},
    {"earlier this month", CUE_NEUTRAL}, {"earlier this week", CUE_NEUTRAL}, {"earlier today", CUE_TODAY},
    {"earlier this year", CUE_CONTEXT}, {"unloaded", CUE_DELIVERY}, {"arrive", CUE_DELIVERY},
    /* "negotiated since last year": how long something has run, not an earlier deal */
    {"since last year", CUE_NEUTRAL}, {"since last month", CUE_NEUTRAL}, {"since earlier this year", CUE_NEUTRAL},
    /* stages */
    {"framework", CUE_FRAMEWORK}, {"framework agreement", CUE_FRAMEWORK},
    {"framework agreements", CUE_FRAMEWORK}, {"frameworks", CUE_FRAMEWORK}, {"basic contract", CUE_FRAMEWORK},
    {"umowa ramowa", CUE_FRAMEWORK}, {"umowy ramowe", CUE_FRAMEWORK}, {"umowe ramowa", CUE_FRAMEWORK},
    {"executive contract", CUE_EXECUTIVE}, {"executive contracts", CUE_EXECUTIVE},
    {"implementation contract", CUE_EXECUTIVE}, {"execution contract", CUE_EXECUTIVE},
    {"implementing contract", CUE_EXECUTIVE}, {"umowa wykonawcza", CUE_EXECUTIVE},
    {"umowe wykonawcza", CUE_EXECUTIVE}, {"umowy wykonawczej", CUE_EXECUTIVE},
    {"follow-up", CUE_EXECUTIVE}, {"follow-on", CUE_EXECUTIVE}, {"tranche", CUE_BATCHWORD},
    {"option", CUE_OPTION}, {"options", CUE_OPTION},
    {"joint venture", CUE_JV}, {"the venture", CUE_JV}, {"joint company", CUE_JV}, {"co-production", CUE_JV}, {"co-produce", CUE_JV},
    {"co-produced", CUE_JV}, {"coproduction", CUE_JV}, {"co production", CUE_JV},
    {"licence production", CUE_JV}, {"license production", CUE_JV}, {"technology transfer", CUE_JV},
    {"selected", CUE_SELECTION}, {"picked", CUE_SELECTION}, {"preferred bidder", CUE_SELECTION},
    {"preferred tenderer", CUE_SELECTION}, {"chose", CUE_SELECTION}, {"chosen", CUE_SELECTION},
    {"shortlisted", CUE_INTENT}, {"shortlist", CUE_INTENT}, {"winner", CUE_SELECTION},
    {"possible sale", CUE_APPROVAL}, {"possible foreign military sale", CUE_APPROVAL},
    {"approved a possible", CUE_APPROVAL}, {"dsca", CUE_APPROVAL}, {"approval of the sale", CUE_APPROVAL},
    {"us approval", CUE_APPROVAL}, {"u.s. approval", CUE_APPROVAL}, {"ceiling", CUE_APPROVAL},
    {"congressional notification", CUE_APPROVAL}, {"cleared the", CUE_APPROVAL}, {"cleared a", CUE_APPROVAL},
    {"gave the green light", CUE_APPROVAL}, {"green light", CUE_APPROVAL}, {"green-lit", CUE_APPROVAL},
    {"defense security cooperation agency", CUE_APPROVAL},
    /* a government's or parliament's approval of its own plan to buy */
    {"approved the purchase", CUE_APPROVAL}, {"approved the acquisition", CUE_APPROVAL},
    {"approved the procurement", CUE_APPROVAL}, {"approved plans to", CUE_APPROVAL},
    {"approved a plan to", CUE_APPROVAL}, {"approved the plan to", CUE_APPROVAL},
    /* India's first approval of a purchase, long before any contract */
    {"acceptance of necessity", CUE_APPROVAL}, {"aon", CUE_APPROVAL}, {"aons", CUE_APPROVAL},
    {"letter of acceptance", CUE_LOA}, {"letter of offer and acceptance", CUE_LOA}, {"loa", CUE_LOA},
    {"loas", CUE_LOA},
    /* words that introduce a deal's value */
    /* a joint venture's sum is what its partners invest */
    {"invest", CUE_INVEST}, {"invests", CUE_INVEST}, {"investing", CUE_INVEST}, {"investment", CUE_INVEST},
    {"inwestycja", CUE_INVEST}, {"inwestycje", CUE_INVEST},
    {"value", CUE_VALUEWORD}, {"valued", CUE_VALUEWORD}, {"worth", CUE_VALUEWORD}, {"cost", CUE_VALUEWORD},
    {"priced", CUE_VALUEWORD}, {"wartosc", CUE_VALUEWORD}, {"estimated at", CUE_VALUEWORD},
    {"estimated it at", CUE_VALUEWORD}, {"put the value", CUE_VALUEWORD}, {"price tag", CUE_VALUEWORD},
    {"costing", CUE_VALUEWORD}, {"totalling", CUE_VALUEWORD}, {"totaling", CUE_VALUEWORD},
    {"amounting to", CUE_VALUEWORD}, {"amounts to", CUE_VALUEWORD}, {"amounted to", CUE_VALUEWORD}, {"valor", CUE_VALUEWORD}, {"degerinde", CUE_VALUEWORD},
    /* aggregates and combined figures */
    {"exports", CUE_AGGREGATE}, {"export revenue", CUE_AGGREGATE}, {"budget", CUE_AGGREGATE},
    {"fund", CUE_AGGREGATE}, /* "financed from the special fund of 100 billion euros" */
    {"revenue", CUE_AGGREGATE}, {"earnings", CUE_AGGREGATE}, {"operating profit", CUE_AGGREGATE},
    {"net profit", CUE_AGGREGATE}, {"backlog", CUE_AGGREGATE}, {"cumulative", CUE_AGGREGATE}, {"combined orders", CUE_AGGREGATE}, {"spending", CUE_AGGREGATE},
    {"sales rose", CUE_AGGREGATE}, {"total value", CUE_AGGREGATE}, {"brings the total", CUE_AGGREGATE}, {"gdp", CUE_AGGREGATE}, {"investment plan", CUE_AGGREGATE},
    {"combined", CUE_COMBINED}, {"together", CUE_COMBINED}, {"in total", CUE_COMBINED},
    {"a total of", CUE_COMBINED}, {"altogether", CUE_COMBINED}, {"both contracts", CUE_COMBINED},
    {"the two contracts", CUE_COMBINED}, {"both deals", CUE_COMBINED}, {"the two deals", CUE_COMBINED},
    /* earlier deals and the clauses that introduce them */
    {"earlier", CUE_CONTEXT}, {"previous", CUE_CONTEXT}, {"previously", CUE_CONTEXT},
    {"last year", CUE_CONTEXT}, {"last month", CUE_CONTEXT}, {"in recent years", CUE_CONTEXT}, {"a year earlier", CUE_CONTEXT},
    {"in the past", CUE_CONTEXT}, {"before this", CUE_CONTEXT}, {"before that", CUE_CONTEXT},
    {"prior to this", CUE_CONTEXT}, {"initial", CUE_CONTEXT}, {"already", CUE_CONTEXT},
    {"first batch", CUE_FIRST, 1}, {"first executive contract", CUE_FIRST, 1},
    {"first executive contracts", CUE_FIRST, 1}, {"first executive agreement", CUE_FIRST, 1},
    {"first executive agreements", CUE_FIRST, 1}, {"first executive deal", CUE_FIRST, 1}, {"first tranche", CUE_FIRST, 1},
    {"initial batch", CUE_FIRST, 1}, {"first contract", CUE_FIRST, 1}, {"first order", CUE_FIRST, 1},
    {"follows", CUE_CLAUSE, CLAUSE_AFTER}, {"follow", CUE_CLAUSE, CLAUSE_AFTER}, {"follows up on", CUE_CLAUSE, CLAUSE_AFTER},
    {"will follow", CUE_NEUTRAL}, {"to follow", CUE_NEUTRAL}, {"would follow", CUE_NEUTRAL}, /* what comes later */
    {"following", CUE_CLAUSE, CLAUSE_AFTER}, {"after", CUE_CLAUSE, CLAUSE_AFTER},
    {"under framework", CUE_CLAUSE, CLAUSE_FRAMEWORK},
    {"under a framework", CUE_CLAUSE, CLAUSE_FRAMEWORK}, {"under framework deals", CUE_CLAUSE, CLAUSE_FRAMEWORK},
    {"under framework agreements", CUE_CLAUSE, CLAUSE_FRAMEWORK}, {"builds on", CUE_CLAUSE, CLAUSE_AFTER},
    {"comes after", CUE_CLAUSE, CLAUSE_AFTER},
    {"which also", CUE_CLAUSE, CLAUSE_ASIDE},
    {"adds to", CUE_CLAUSE}, {"once", CUE_CLAUSE}, {"under the", CUE_CLAUSE},
    {"on top of", CUE_CLAUSE}, {"in addition to", CUE_CLAUSE}, {"whereas", CUE_CLAUSE},
    {"while", CUE_CLAUSE},
    /* batches */
    {"first", CUE_ORDINAL, 1}, {"second", CUE_ORDINAL, 2}, {"third", CUE_ORDINAL, 3},
    {"fourth", CUE_ORDINAL, 4}, {"fifth", CUE_ORDINAL, 5}, {"1st", CUE_ORDINAL, 1},
    {"2nd", CUE_ORDINAL, 2}, {"3rd", CUE_ORDINAL, 3}, {"4th", CUE_ORDINAL, 4},
    {"another", CUE_ANOTHER}, {"additional", CUE_ANOTHER}, {"further", CUE_ANOTHER}, {"more", CUE_ANOTHER, LEX_MORE},
    {"more than", CUE_NEUTRAL}, {"no more", CUE_NEUTRAL}, {"more or less", CUE_NEUTRAL},
    {"batch", CUE_BATCHWORD}, {"batches", CUE_BATCHWORD}, {"phase", CUE_BATCHWORD},
    /* the local variant and the rest of a split */
    {"polish variant", CUE_LOCALVARIANT, 0, "PL"}, {"polish version", CUE_LOCALVARIANT, 0, "PL"},
    {"polonized", CUE_LOCALVARIANT, 0, "PL"}, {"polonised", CUE_LOCALVARIANT, 0, "PL"},
    {"respectively", CUE_RESPECTIVELY},
    {"the rest", CUE_REST}, {"the remaining", CUE_REST}, {"remainder", CUE_REST},
    /* dates */
    {"monday", CUE_WEEKDAY, 0}, {"tuesday", CUE_WEEKDAY, 1}, {"wednesday", CUE_WEEKDAY, 2},
    {"thursday", CUE_WEEKDAY, 3}, {"friday", CUE_WEEKDAY, 4}, {"saturday", CUE_WEEKDAY, 5},
    {"sunday", CUE_WEEKDAY, 6}, {"today", CUE_TODAY}, {"yesterday", CUE_YESTERDAY},
    {"earlier on today", CUE_TODAY},
    /* Polish weekdays as "w/we ..." puts them (accusative, folded) */
    {"w poniedzialek", CUE_WEEKDAY, 0}, {"we wtorek", CUE_WEEKDAY, 1}, {"w srode", CUE_WEEKDAY, 2},
    {"w czwartek", CUE_WEEKDAY, 3}, {"w piatek", CUE_WEEKDAY, 4}, {"w sobote", CUE_WEEKDAY, 5},
    {"w niedziele", CUE_WEEKDAY, 6}, {"wczoraj", CUE_YESTERDAY}, {"dzisiaj", CUE_TODAY},
    /* Spanish weekdays after "el" or "este" (folded) */
    {"el lunes", CUE_WEEKDAY, 0}, {"este lunes", CUE_WEEKDAY, 0}, {"el martes", CUE_WEEKDAY, 1},
    {"este martes", CUE_WEEKDAY, 1}, {"el miercoles", CUE_WEEKDAY, 2}, {"este miercoles", CUE_WEEKDAY, 2},
    {"el jueves", CUE_WEEKDAY, 3}, {"este jueves", CUE_WEEKDAY, 3}, {"el viernes", CUE_WEEKDAY, 4},
    {"este viernes", CUE_WEEKDAY, 4}, {"el sabado", CUE_WEEKDAY, 5}, {"este sabado", CUE_WEEKDAY, 5},
    {"el domingo", CUE_WEEKDAY, 6}, {"este domingo", CUE_WEEKDAY, 6}, {"ayer", CUE_YESTERDAY}, {"hoy", CUE_TODAY},
    /* a release's present-tense announcement of what it "has signed" states it as of its day */
    {"is pleased to announce", CUE_TODAY}, {"are pleased to announce", CUE_TODAY},
    {"is proud to announce", CUE_TODAY}, {"are proud to announce", CUE_TODAY},
    {"january", CUE_MONTH, 1}, {"jan", CUE_MONTH, 1}, {"february", CUE_MONTH, 2}, {"feb", CUE_MONTH, 2},
    {"march", CUE_MONTH, 3}, {"mar", CUE_MONTH, 3}, {"april", CUE_MONTH, 4}, {"apr", CUE_MONTH, 4},
    {"may", CUE_MONTH, 5}, {"june", CUE_MONTH, 6}, {"jun", CUE_MONTH, 6}, {"july", CUE_MONTH, 7},
    {"jul", CUE_MONTH, 7}, {"august", CUE_MONTH, 8}, {"aug", CUE_MONTH, 8}, {"september", CUE_MONTH, 9},
    {"sept", CUE_MONTH, 9}, {"sep", CUE_MONTH, 9}, {"october", CUE_MONTH, 10}, {"oct", CUE_MONTH, 10},
    {"november", CUE_MONTH, 11}, {"nov", CUE_MONTH, 11}, {"december", CUE_MONTH, 12},
    {"dec", CUE_MONTH, 12}, {"in", CUE_IN},
    /* units: what a quantity counts (str = catalog category) */
    {"tanks", CUE_UNIT, 0, "tank"}, {"tank", CUE_UNIT, 0, "tank"},
    {"main battle tanks", CUE_UNIT, 0, "tank"}, {"battle tanks", CUE_UNIT, 0, "tank"},
    {"howitzers", CUE_UNIT, 0, "howitzer"}, {"howitzer", CUE_UNIT, 0, "howitzer"},
    {"self-propelled howitzers", CUE_UNIT, 0, "howitzer"}, {"guns", CUE_UNIT, 0, "howitzer"},
    {"aircraft", CUE_UNIT, 0, "aircraft"}, {"jets", CUE_UNIT, 0, "aircraft"},
    {"fighters", CUE_UNIT, 0, "aircraft"}, {"fighter jets", CUE_UNIT, 0, "aircraft"},
    {"planes", CUE_UNIT, 0, "aircraft"}, {"light attack aircraft", CUE_UNIT, 0, "aircraft"},
    {"light combat aircraft", CUE_UNIT, 0, "aircraft"},
    {"helicopters", CUE_UNIT, 0, "helicopter"}, {"drones", CUE_UNIT, 0, "uav"}, {"armed drones", CUE_UNIT, 0, "uav"},
    {"uavs", CUE_UNIT, 0, "uav"}, {"launchers", CUE_UNIT, 0, "rocket_launcher"},
    {"launcher", CUE_UNIT, 0, "rocket_launcher"}, {"rocket launchers", CUE_UNIT, 0, "rocket_launcher"},
    {"launch vehicles", CUE_UNIT, 0, "rocket_launcher"},
    {"rockets", CUE_UNIT, 0, "rocket"}, {"guided rockets", CUE_UNIT, 0, "rocket"},
    {"missiles", CUE_UNIT, 0, "missile"}, {"missile systems", CUE_UNIT, 0, "missile"},
    {"missile", CUE_UNIT, 0, "missile"}, {"infantry fighting vehicles", CUE_UNIT, 0, "ifv"},
    {"ifvs", CUE_UNIT, 0, "ifv"}, {"submarines", CUE_UNIT, 0, "submarine"},
    {"frigates", CUE_UNIT, 0, "ship"}, {"batteries", CUE_UNIT, 0, "air_defence"},
    {"vehicles", CUE_UNIT, 0, "vehicle"}, {"munition", CUE_UNIT, 0, "ammunition"},
    {"munitions", CUE_UNIT, 0, "ammunition"}, {"ammunition", CUE_UNIT, 0, "ammunition"}, {"support vehicles", CUE_UNIT, 0, "support_vehicle"},
    {"resupply vehicles", CUE_UNIT, 0, "support_vehicle"},
    {"ammunition resupply vehicles", CUE_UNIT, 0, "support_vehicle"},
    {"recovery vehicles", CUE_UNIT, 0, "support_vehicle"}, {"units", CUE_UNIT, 0, "unit"},
    {"systems", CUE_UNIT, 0, "unit"},
    /* head nouns of systems the catalog may lack ("48 Archer howitzers") */
    {"fighter", CUE_UNIT, 0, "aircraft"}, {"fighter jet", CUE_UNIT, 0, "aircraft"},
    {"trainer jets", CUE_UNIT, 0, "aircraft"}, {"trainers", CUE_UNIT, 0, "aircraft"},
    {"transport aircraft", CUE_UNIT, 0, "aircraft"}, {"tanker aircraft", CUE_UNIT, 0, "aircraft"},
    {"helicopter", CUE_UNIT, 0, "helicopter"}, {"attack helicopters", CUE_UNIT, 0, "helicopter"},
    {"drone", CUE_UNIT, 0, "uav"}, {"uav", CUE_UNIT, 0, "uav"},
    {"frigate", CUE_UNIT, 0, "ship"}, {"corvettes", CUE_UNIT, 0, "ship"}, {"corvette", CUE_UNIT, 0, "ship"},
    {"destroyers", CUE_UNIT, 0, "ship"}, {"patrol vessels", CUE_UNIT, 0, "ship"}, {"warships", CUE_UNIT, 0, "ship"},
    {"offshore patrol vessels", CUE_UNIT, 0, "ship"}, {"submarine", CUE_UNIT, 0, "submarine"},
    {"engines", CUE_UNIT, 0, "engine"}, {"engine", CUE_UNIT, 0, "engine"},
    {"radars", CUE_UNIT, 0, "radar"}, {"radar", CUE_UNIT, 0, "radar"}, {"radar systems", CUE_UNIT, 0, "radar"},
    {"air-defence systems", CUE_UNIT, 0, "air_defence"}, {"air defence systems", CUE_UNIT, 0, "air_defence"},
    {"air-defense systems", CUE_UNIT, 0, "air_defence"}, {"air defense systems", CUE_UNIT, 0, "air_defence"},
    {"air-defence system", CUE_UNIT, 0, "air_defence"}, {"air defence system", CUE_UNIT, 0, "air_defence"},
    {"air-defense system", CUE_UNIT, 0, "air_defence"}, {"air defense system", CUE_UNIT, 0, "air_defence"},
    {"cruise missiles", CUE_UNIT, 0, "missile"}, {"anti-ship missiles", CUE_UNIT, 0, "missile"},
    {"anti-tank missiles", CUE_UNIT, 0, "missile"}, {"interceptors", CUE_UNIT, 0, "missile"},
    {"armoured vehicles", CUE_UNIT, 0, "vehicle"}, {"armored vehicles", CUE_UNIT, 0, "vehicle"},
    {"armoured personnel carriers", CUE_UNIT, 0, "vehicle"}, {"armored personnel carriers", CUE_UNIT, 0, "vehicle"},
    {"self-propelled guns", CUE_UNIT, 0, "howitzer"},
    /* money */
    {"trillion", CUE_SCALE, 1e12}, {"tn", CUE_SCALE, 1e12}, {"tln", CUE_SCALE, 1e12},
    {"billion", CUE_SCALE, 1e9}, {"bn", CUE_SCALE, 1e9}, {"bln", CUE_SCALE, 1e9},
    {"b", CUE_SCALE, 1e9}, {"mld", CUE_SCALE, 1e9}, {"million", CUE_SCALE, 1e6},
    {"mln", CUE_SCALE, 1e6}, {"mn", CUE_SCALE, 1e6}, {"m", CUE_SCALE, 1e6},
    {"thousand", CUE_SCALE, 1e3}, {"tys", CUE_SCALE, 1e3},
    /* Indian scales: "Rs 7,629 crore", "1 lakh crore" */
    {"crore", CUE_SCALE, 1e7}, {"crores", CUE_SCALE, 1e7}, {"cr", CUE_SCALE, 1e7}, {"lakh", CUE_SCALE, 1e5},
    {"lakhs", CUE_SCALE, 1e5}, {"lakh crore", CUE_SCALE, 1e12}, {"lakh crores", CUE_SCALE, 1e12},
    {"mrd", CUE_SCALE, 1e9}, {"milliarden", CUE_SCALE, 1e9}, {"miliardow", CUE_SCALE, 1e9},
    {"miliardy", CUE_SCALE, 1e9}, {"miliard", CUE_SCALE, 1e9}, {"miliarda", CUE_SCALE, 1e9},
    {"miliona", CUE_SCALE, 1e6}, {"miliony", CUE_SCALE, 1e6}, {"mil millones", CUE_SCALE, 1e9}, {"bilhoes", CUE_SCALE, 1e9},
    {"miliar", CUE_SCALE, 1e9}, {"triliun", CUE_SCALE, 1e12}, /* Indonesian and Malay */
    {"milliard", CUE_SCALE, 1e9}, {"milliards", CUE_SCALE, 1e9}, {"mia", CUE_SCALE, 1e9}, /* French, Swiss German */
    {"billones", CUE_SCALE, 1e12}, {"billon", CUE_SCALE, 1e12}, /* Spanish long scale: 10^12 */
    {"millones", CUE_SCALE, 1e6}, {"milhoes", CUE_SCALE, 1e6}, {"milyar", CUE_SCALE, 1e9}, {"bilhao", CUE_SCALE, 1e9},
    {"milhao", CUE_SCALE, 1e6}, {"milion", CUE_SCALE, 1e6}, {"milionow", CUE_SCALE, 1e6},
    {"dollars", CUE_CURWORD, 0, "USD"}, {"us dollars", CUE_CURWORD, 0, "USD"},
    {"u.s. dollars", CUE_CURWORD, 0, "USD"}, {"australian dollars", CUE_CURWORD, 0, "AUD"},
    {"won", CUE_CURWORD, 0, "KRW"}, {"korean won", CUE_CURWORD, 0, "KRW"},
    {"zlotys", CUE_CURWORD, 0, "PLN"}, {"zloty", CUE_CURWORD, 0, "PLN"}, {"zl", CUE_CURWORD, 0, "PLN"},
    {"pln", CUE_CURWORD, 0, "PLN"}, {"dolarow", CUE_CURWORD, 0, "USD"}, {"de dolares", CUE_CURWORD, 0, "USD"},
    {"de euros", CUE_CURWORD, 0, "EUR"}, {"de reais", CUE_CURWORD, 0, "BRL"}, {"euros", CUE_CURWORD, 0, "EUR"}, {"euro", CUE_CURWORD, 0, "EUR"},
    {"pounds", CUE_CURWORD, 0, "GBP"}, {"pounds sterling", CUE_CURWORD, 0, "GBP"}, {"sterling", CUE_CURWORD, 0, "GBP"},
    {"sterlin", CUE_CURWORD, 0, "GBP"}, {"kroner", CUE_CURWORD, 0, "NOK"}, {"krone", CUE_CURWORD, 0, "NOK"},
    {"rupees", CUE_CURWORD, 0, "INR"}, {"pesos", CUE_CURWORD, 0, "PHP"}, {"de pesos", CUE_CURWORD, 0, "PHP"},
    {"kronor", CUE_CURWORD, 0, "SEK"}, {"swedish kronor", CUE_CURWORD, 0, "SEK"}, {"crowns", CUE_CURWORD, 0, "SEK"},
    {"swedish crowns", CUE_CURWORD, 0, "SEK"}, {"norwegian crowns", CUE_CURWORD, 0, "NOK"},
    {"norwegian kroner", CUE_CURWORD, 0, "NOK"}, {"danish kroner", CUE_CURWORD, 0, "DKK"},
    {"danish crowns", CUE_CURWORD, 0, "DKK"}, {"czech crowns", CUE_CURWORD, 0, "CZK"},
    {"korunas", CUE_CURWORD, 0, "CZK"}, {"koruna", CUE_CURWORD, 0, "CZK"},
    {"colombian pesos", CUE_CURWORD, 0, "COP"}, {"argentine pesos", CUE_CURWORD, 0, "ARS"},
    {"mexican pesos", CUE_CURWORD, 0, "MXN"}, {"chilean pesos", CUE_CURWORD, 0, "CLP"},
    {"philippine pesos", CUE_CURWORD, 0, "PHP"}, {"reais", CUE_CURWORD, 0, "BRL"}, {"reals", CUE_CURWORD, 0, "BRL"},
    {"lira", CUE_CURWORD, 0, "TRY"}, {"liras", CUE_CURWORD, 0, "TRY"}, {"turkish lira", CUE_CURWORD, 0, "TRY"},
    {"yen", CUE_CURWORD, 0, "JPY"}, {"yuan", CUE_CURWORD, 0, "CNY"}, {"renminbi", CUE_CURWORD, 0, "CNY"},
    {"swiss francs", CUE_CURWORD, 0, "CHF"}, {"francs", CUE_CURWORD, 0, "CHF"}, {"shekels", CUE_CURWORD, 0, "ILS"},
    {"riyals", CUE_CURWORD, 0, "SAR"}, {"dirhams", CUE_CURWORD, 0, "AED"}, {"rupiah", CUE_CURWORD, 0, "IDR"}, {"dolar as", CUE_CURWORD, 0, "USD"},
    {"ringgit", CUE_CURWORD, 0, "MYR"}, {"baht", CUE_CURWORD, 0, "THB"}, {"forints", CUE_CURWORD, 0, "HUF"},
    {"lei", CUE_CURWORD, 0, "RON"}, {"hryvnias", CUE_CURWORD, 0, "UAH"}, {"canadian dollars", CUE_CURWORD, 0, "CAD"},
    {"taiwan dollars", CUE_CURWORD, 0, "TWD"}, {"singapore dollars", CUE_CURWORD, 0, "SGD"},
    {"new zealand dollars", CUE_CURWORD, 0, "NZD"}, {"rand", CUE_CURWORD, 0, "ZAR"},
    {"zlotych", CUE_CURWORD, 0, "PLN"},
    {"usd", CUE_CURPREFIX, 0, "USD"}, {"us$", CUE_CURPREFIX, 0, "USD"}, {"krw", CUE_CURPREFIX, 0, "KRW"},
    {"eur", CUE_CURPREFIX, 0, "EUR"}, {"aud", CUE_CURPREFIX, 0, "AUD"}, {"a$", CUE_CURPREFIX, 0, "AUD"},
    {"gbp", CUE_CURPREFIX, 0, "GBP"}, {"nok", CUE_CURPREFIX, 0, "NOK"}, {"inr", CUE_CURPREFIX, 0, "INR"},
    {"php", CUE_CURPREFIX, 0, "PHP"}, {"rs", CUE_CURPREFIX, 0, "INR"}, {"egp", CUE_CURPREFIX, 0, "EGP"},
    {"ron", CUE_CURPREFIX, 0, "RON"}, {"sek", CUE_CURPREFIX, 0, "SEK"}, {"dkk", CUE_CURPREFIX, 0, "DKK"},
    {"czk", CUE_CURPREFIX, 0, "CZK"}, {"chf", CUE_CURPREFIX, 0, "CHF"}, {"jpy", CUE_CURPREFIX, 0, "JPY"},
    {"brl", CUE_CURPREFIX, 0, "BRL"}, {"r$", CUE_CURPREFIX, 0, "BRL"}, {"cop", CUE_CURPREFIX, 0, "COP"},
    {"ars", CUE_CURPREFIX, 0, "ARS"}, {"try", CUE_CURPREFIX, 0, "TRY"}, {"tl", CUE_CURPREFIX, 0, "TRY"},
    {"cny", CUE_CURPREFIX, 0, "CNY"}, {"rmb", CUE_CURPREFIX, 0, "CNY"}, {"twd", CUE_CURPREFIX, 0, "TWD"},
    {"nt$", CUE_CURPREFIX, 0, "TWD"}, {"sar", CUE_CURPREFIX, 0, "SAR"}, {"aed", CUE_CURPREFIX, 0, "AED"},
    {"qar", CUE_CURPREFIX, 0, "QAR"}, {"ils", CUE_CURPREFIX, 0, "ILS"}, {"nis", CUE_CURPREFIX, 0, "ILS"},
    {"cad", CUE_CURPREFIX, 0, "CAD"}, {"c$", CUE_CURPREFIX, 0, "CAD"}, {"idr", CUE_CURPREFIX, 0, "IDR"},
    {"rp", CUE_CURPREFIX, 0, "IDR"}, {"thb", CUE_CURPREFIX, 0, "THB"}, {"mxn", CUE_CURPREFIX, 0, "MXN"},
    {"clp", CUE_CURPREFIX, 0, "CLP"}, {"huf", CUE_CURPREFIX, 0, "HUF"}, {"sgd", CUE_CURPREFIX, 0, "SGD"},
    {"s$", CUE_CURPREFIX, 0, "SGD"}, {"nzd", CUE_CURPREFIX, 0, "NZD"}, {"zar", CUE_CURPREFIX, 0, "ZAR"},
    {"pkr", CUE_CURPREFIX, 0, "PKR"}, {"uah", CUE_CURPREFIX, 0, "UAH"}, {"vnd", CUE_CURPREFIX, 0, "VND"},
    {"bgn", CUE_CURPREFIX, 0, "BGN"}, {"myr", CUE_CURPREFIX, 0, "MYR"}, {"rm", CUE_CURPREFIX, 0, "MYR"},
    {"rs.", CUE_CURPREFIX, 0, "INR"},
    /* numbers in words */
    {"one", CUE_NUMWORD, 1}, {"two", CUE_NUMWORD, 2}, {"three", CUE_NUMWORD, 3},
    {"four", CUE_NUMWORD, 4}, {"five", CUE_NUMWORD, 5}, {"six", CUE_NUMWORD, 6},
    {"seven", CUE_NUMWORD, 7}, {"eight", CUE_NUMWORD, 8}, {"nine", CUE_NUMWORD, 9},
    {"ten", CUE_NUMWORD, 10}, {"eleven", CUE_NUMWORD, 11}, {"twelve", CUE_NUMWORD, 12},
    {"thirteen", CUE_NUMWORD, 13}, {"fourteen", CUE_NUMWORD, 14}, {"fifteen", CUE_NUMWORD, 15},
    {"sixteen", CUE_NUMWORD, 16}, {"eighteen", CUE_NUMWORD, 18}, {"twenty", CUE_NUMWORD, 20},
    {"thirty", CUE_NUMWORD, 30}, {"forty", CUE_NUMWORD, 40}, {"fifty", CUE_NUMWORD, 50},
    {"sixty", CUE_NUMWORD, 60}, {"seventy", CUE_NUMWORD, 70}, {"eighty", CUE_NUMWORD, 80},
    {"ninety", CUE_NUMWORD, 90}, {"a dozen", CUE_NUMWORD, 12}, {"dozen", CUE_NUMWORD, 12},
    {"two dozen", CUE_NUMWORD, 24}, {"a hundred", CUE_NUMWORD, 100}, {"hundred", CUE_NUMWORD, 100},
    {"a pair of", CUE_NUMWORD, 2},
    /* sums in words: "half a billion dollars", "a billion euros" */
    {"half a", CUE_NUMWORD, 0.5}, {"a quarter of a", CUE_NUMWORD, 0.25}, {"a billion", CUE_NUMWORD, 1e9},
    {"a million", CUE_NUMWORD, 1e6}, {"a trillion", CUE_NUMWORD, 1e12},
};
#define NLEX (sizeof lexicon / sizeof lexicon[0])

/* ---- the matcher: first word -> candidates, longest first ---------------- */

enum { M_ALIAS, M_CUE };
typedef struct mentry {
    const char *text;
    unsigned len;
    unsigned char type;
    unsigned char last; /* text[len - 1], compared before the text itself */
    unsigned char second; /* text[wlen + 1] when len > wlen + 1: the byte after the first word's separator */
    unsigned idx;       /* into cat->aliases or lexicon */
    uint64_t key;       /* word_key of its first word */
    unsigned wlen;      /* length of its first word */
    unsigned shared;    /* an authority alias whose text other countries' authorities share */
} mentry;

/* 20 bytes: the phrases of one first word, longest first, so those of
 * more than the word come before the word alone. */
typedef struct bucket {
    uint32_t tag;    /* high half of the first word's key, low bit set; 0 = empty */
    uint32_t first;  /* range [first, first + n) in ex->entries */
    uint16_t n;
    uint16_t nmulti; /* the first nmulti go on after the word */
    uint32_t next;   /* bit (b & 31) for each byte b that follows the first word in one of those */
    uint32_t second; /* bit (b & 31) for each byte b after that (all bits if a phrase ends there) */
} bucket;

/* Item flag beside the DS_ALIAS_* ones: the alias is the name of authorities
 * of several countries ("Ministry of Defence"), so it names none. */
#define IT_SHARED_NAME 0x80000000u

/* Bits of the first-word filter: one bit per key hash, 8 KiB, so a word no
 * phrase starts with (most words of an article) is rejected from L1 without
 * touching the bucket table. */
#define FILTER_BITS (1u << 16)

/* Kinds of item found in a clause. */
enum { IT_ENT, IT_CUE, IT_NUM, IT_MONEY, IT_QTY, IT_YEAR, IT_DATE, IT_MOD };

typedef struct item {
    unsigned char type;
    unsigned char cue;       /* IT_CUE */
    unsigned char ent_kind;  /* IT_ENT */
    unsigned char used;
    unsigned flags;          /* alias flags */
    int idx;                 /* entity index / lexicon index */
    int start, end;          /* folded offsets */
    double num;              /* IT_NUM, IT_MONEY (amount), IT_QTY, IT_YEAR */
    char cur[4];             /* IT_MONEY */
    int target_sys;          /* IT_QTY: system index or -1 */
    const char *unit;        /* IT_QTY: unit category or NULL */
    int32_t date;            /* IT_DATE */
    int clause;
} item;

typedef struct clause {
    int start, end;          /* folded */
    int sent;                /* sentence index */
    uint64_t cues;
    int context;
    int recalled_month;      /* "in October", three or more months before publication */
    int has_qty;
    int coordinated;         /* cut at ", and" from the recall clause before it (coordinated_recall) */
    int aside;               /* "which also ..." about a side event (aside) */
    int factbox;             /* a fact-box row (factbox_row) */
    int table;               /* a row of a table of deals (mark_table_rows): one recalled deal */
    int first_item, nitems;
} clause;

typedef struct sentence {
    int start, end;
    int c0, c1; /* its clauses: ex->clauses[c0..c1) */
} sentence;

/* The publication day and its civil year and month (0 when unknown). */
typedef struct pubdate {
    int32_t day;
    int year, month;
} pubdate;

static pubdate pubdate_from_day(int32_t day)
{
    pubdate p = {day, 0, 0};
    int d;
    if (day != DS_NO_DATE)
        ds_civil_from_days(day, &p.year, &p.month, &d);
    return p;
}

#define DS_MAX_OPEN 8

struct ds_extractor {
    const ds_catalog *cat;
    mentry *entries;
    size_t nentries;
    bucket *buckets;
    size_t nbuckets; /* power of two, at least twice the distinct first words */
    uint64_t filter[FILTER_BITS / 64]; /* bit (key >> 20) % FILTER_BITS set for each first word */
    /* scratch, grown as needed */
    char *fold;
    unsigned *map;
    size_t foldcap;
    int flen;
    item *items;
    size_t nitems, itemcap;
    clause *clauses;
    size_t nclauses, clausecap;
    sentence *sents;
    size_t nsents, sentcap;
    ds_mention *out;
    size_t nout, outcap;
    int debug; /* DS_EXTRACT_DEBUG=1: clauses and items on stderr */
    /* the family of the article's only primary mention ("": none); a copy,
     * since ex->out moves as mentions are added */
    char single_family[sizeof ((ds_mention *)0)->family];
    int *sys_root;             /* per system (catalog, then open): index of its family's root */
    /* systems outside the catalog read from this article's text (see
     * find_designations): index cat->nsystems + i in items and sys_root */
    ds_system open[DS_MAX_OPEN];
    char open_id[DS_MAX_OPEN][24];
    char open_fold[DS_MAX_OPEN][24]; /* its folded text, for later bare mentions */
    int nopen;
};

/* System idx of an item: a catalog system, or one read from the text. */
static const ds_system *sys_of(const ds_extractor *ex, int idx)
{
    return (size_t)idx < ex->cat->nsystems ? &ex->cat->systems[idx] : &ex->open[(size_t)idx - ex->cat->nsystems];
}

/* Bytes of folded words: a-z, 0-9 and every byte of a multi-byte character. */
static const unsigned char alnum_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* c is a byte of a folded word (one table load: this runs on every byte). */
static int is_alnum(char c) { return alnum_byte[(unsigned char)c]; }

/* The first place of needle (m > 0 bytes) in h[0..n), or NULL: memmem for
 * the short spans and rare first letters of the readers below, stepping by
 * memchr to the needle's first byte. */
static const char *find_in(const char *h, size_t n, const char *needle, size_t m)
{
    const char *end = h + n;
    while (m <= (size_t)(end - h)) {
        const char *p = memchr(h, needle[0], (size_t)(end - h) - m + 1);
        if (!p)
            return NULL;
        if (memcmp(p + 1, needle + 1, m - 1) == 0)
            return p;
        h = p + 1;
    }
    return NULL;
}

/* Key of the first word of s[0, len) (a lone symbol when it starts with
 * none), never 0; its length in *wlen, and in *alnum the length of its
 * letters and digits before a '$' that goes on with it ("us$"). */
static uint64_t word_key_alnum(const char *s, size_t len, unsigned *wlen, unsigned *alnum)
{
    /* FNV-1a, each byte hashed as the word is measured: words are short,
     * and this runs once per word of every article */
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t n = 0, dollar = 0;
    for (; n < len; n++) {
        unsigned char c = (unsigned char)s[n];
        if (!alnum_byte[c]) {
            if (n == 0 || c != '$')
                break;
            if (!dollar)
                dollar = n;
        }
        h = (h ^ c) * 0x100000001b3ULL;
    }
    if (n == 0 && len > 0) {
        n = 1; /* a lone symbol word */
        h = (h ^ (unsigned char)s[0]) * 0x100000001b3ULL;
    }
    *wlen = (unsigned)n;
    *alnum = (unsigned)(dollar ? dollar : n);
    return h ? h : 1;
}

/* Key of the first word of s[0, len) (see word_key_alnum), its length in
 * *wlen. */
static uint64_t word_key(const char *s, size_t len, unsigned *wlen)
{
    unsigned alnum;
    return word_key_alnum(s, len, wlen, &alnum);
}

/* Orders phrases by first-word key, then those of more than the word before
 * the word alone, longest first, aliases before cues, then by index. */
static int cmp_entry(const void *a, const void *b)
{
    const mentry *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    int xs = x->len == x->wlen, ys = y->len == y->wlen; /* phrases of more than the word first */
    if (xs != ys)
        return xs - ys;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Marks the authority aliases of entries [i, j) (one first word) whose text
 * an authority of another country carries too. */
static void mark_shared_names(ds_extractor *ex, size_t i, size_t j)
{
    for (size_t a = i; a < j; a++) {
        mentry *x = &ex->entries[a];
        if (x->type != M_ALIAS || ex->cat->aliases[x->idx].kind != DS_ENT_AUTHORITY)
            continue;
        const char *cx = ex->cat->authorities[ex->cat->aliases[x->idx].index].country;
        for (size_t b = i; b < j && !x->shared; b++) {
            const mentry *y = &ex->entries[b];
            x->shared = b != a && y->type == M_ALIAS && y->len == x->len &&
                        ex->cat->aliases[y->idx].kind == DS_ENT_AUTHORITY && memcmp(x->text, y->text, x->len) == 0 &&
                        strcmp(ex->cat->authorities[ex->cat->aliases[y->idx].index].country, cx) != 0;
        }
    }
}

/* Builds ex->buckets (first word -> its range of the sorted ex->entries),
 * sized by the distinct first words rather than the phrases, and the
 * first-word filter. Returns 0 or -1 when out of memory. */
static int build_buckets(ds_extractor *ex)
{
    size_t distinct = 0;
    for (size_t i = 0; i < ex->nentries; i++)
        distinct += i == 0 || ex->entries[i].key != ex->entries[i - 1].key;
    ex->nbuckets = 1;
    while (ex->nbuckets < distinct * 2)
        ex->nbuckets <<= 1;
    ex->buckets = calloc(ex->nbuckets, sizeof *ex->buckets);
    if (!ex->buckets)
        return -1;
    for (size_t i = 0; i < ex->nentries;) {
        uint64_t k = ex->entries[i].key;
        size_t j = i;
        bucket bk = {(uint32_t)(k >> 32) | 1u, (uint32_t)i, 0, 0, 0, 0};
        for (; j < ex->nentries && ex->entries[j].key == k; j++) {
            const mentry *me = &ex->entries[j];
            if (me->len == me->wlen)
                continue;
            bk.nmulti++;
            bk.next |= 1u << ((unsigned char)me->text[me->wlen] & 31);
            bk.second |= me->len > me->wlen + 1 ? 1u << ((unsigned char)me->text[me->wlen + 1] & 31) : UINT32_MAX;
        }
        if (j - i > UINT16_MAX)
            return -1;
        bk.n = (uint16_t)(j - i);
        mark_shared_names(ex, i, j);
        size_t b = k & (ex->nbuckets - 1);
        while (ex->buckets[b].tag)
            b = (b + 1) & (ex->nbuckets - 1);
        ex->buckets[b] = bk;
        unsigned bit = (unsigned)(k >> 20) % FILTER_BITS;
        ex->filter[bit / 64] |= (uint64_t)1 << (bit % 64);
        i = j;
    }
    return 0;
}

ds_extractor *ds_extractor_new(const ds_catalog *cat)
{
    ds_extractor *ex = calloc(1, sizeof *ex);
    if (!ex)
        return NULL;
    ex->cat = cat;
    ex->debug = getenv("DS_EXTRACT_DEBUG") != NULL;
    ex->entries = calloc(cat->naliases + NLEX, sizeof *ex->entries);
    if (!ex->entries)
        goto err;
    for (size_t i = 0; i < cat->naliases; i++)
        ex->entries[ex->nentries++] = (mentry){.text = cat->aliases[i].text, .len = (unsigned)cat->aliases[i].len,
                                               .type = M_ALIAS, .idx = (unsigned)i};
    for (size_t i = 0; i < NLEX; i++)
        ex->entries[ex->nentries++] =
            (mentry){.text = lexicon[i].text, .len = (unsigned)strlen(lexicon[i].text), .type = M_CUE, .idx = (unsigned)i};
    for (size_t i = 0; i < ex->nentries; i++) {
        mentry *me = &ex->entries[i];
        me->key = word_key(me->text, me->len, &me->wlen);
        me->last = me->len ? (unsigned char)me->text[me->len - 1] : 0;
        me->second = me->len > me->wlen + 1 ? (unsigned char)me->text[me->wlen + 1] : 0;
    }
    qsort(ex->entries, ex->nentries, sizeof *ex->entries, cmp_entry);
    ex->sys_root = calloc(cat->nsystems + DS_MAX_OPEN, sizeof *ex->sys_root);
    if (!ex->sys_root)
        goto err;
    for (size_t i = 0; i < cat->nsystems; i++) {
        const ds_system *root = ds_catalog_system(cat, cat->systems[i].family);
        ex->sys_root[i] = root ? (int)(root - cat->systems) : (int)i;
    }
    for (size_t i = 0; i < DS_MAX_OPEN; i++) {
        ex->sys_root[cat->nsystems + i] = (int)(cat->nsystems + i); /* each its own family */
        ex->open[i] = (ds_system){ex->open_id[i], ex->open_id[i], ex->open_id[i], NULL, "", "", NULL};
    }
    if (build_buckets(ex))
        goto err;
    return ex;
err:
    ds_extractor_destroy(ex);
    return NULL;
}

void ds_extractor_destroy(ds_extractor *ex)
{
    if (!ex)
        return;
    free(ex->entries);
    free(ex->buckets);
    free(ex->sys_root);
    free(ex->fold);
    free(ex->map);
    free(ex->items);
    free(ex->clauses);
    free(ex->sents);
    free(ex->out);
    free(ex);
}

/* The bucket of first-word key k, or NULL when no phrase starts with it. */
static const bucket *lookup(const ds_extractor *ex, uint64_t k)
{
    unsigned bit = (unsigned)(k >> 20) % FILTER_BITS;
    if (!(ex->filter[bit / 64] >> (bit % 64) & 1))
        return NULL;
    uint32_t tag = (uint32_t)(k >> 32) | 1u;
    size_t b = k & (ex->nbuckets - 1);
    while (ex->buckets[b].tag) {
        if (ex->buckets[b].tag == tag)
            return &ex->buckets[b];
        b = (b + 1) & (ex->nbuckets - 1);
    }
    return NULL;
}

/* Room for one more element, or return -2 (out of memory) from the caller. */
#define GROW(ptr, n, cap)                                                  \
    do {                                                                   \
        if ((n) + 1 > (cap) && ds_reserve(&(ptr), &(cap), (n) + 1, sizeof *(ptr), 64))  \
            return -2;                                                     \
    } while (0)

/* ---- sentences and clauses --------------------------------------------- */

static const char *const abbrevs[] = {"co", "inc", "corp", "ltd", "mr", "mrs", "ms", "dr", "gen", "lt",
                                      "col", "no", "st", "vs", "jan", "feb", "aug", "sept", "oct",
                                      "nov", "dec", "u.s", "u.k", "jr", "sr", "rep", "sen", "gov", "approx", "i.e", "e.g",
                                      "incl", "ca", "est", "mln", "bln", "mld", "mrd", "mia", "tys", "ok", "rs", NULL};

/* The word [wstart, dot) before a full stop is an initial or an
 * abbreviation, so the stop ends no sentence. */
static int is_abbrev(const char *f, int wstart, int dot)
{
    int n = dot - wstart;
    if (n == 1)
        return 1; /* an initial */
    if (n > 6)
        return 0; /* longer than every abbreviation */
    for (int i = 0; abbrevs[i]; i++)
        if (abbrevs[i][0] == f[wstart] && strncmp(abbrevs[i], f + wstart, (size_t)n) == 0 && abbrevs[i][n] == '\0')
            return 1;
    return 0;
}

static int split_sentences(ds_extractor *ex, const char *orig, int len)
{
    const char *f = ex->fold;
    int start = 0;
    ex->nsents = 0;
    for (int i = 0; i <= len; i++) {
        /* jump to the next byte that can end a sentence (libc's strcspn is
         * vectorised; the folded text is NUL-terminated) */
        if (i < len && f[i] != '\n' && f[i] != '.' && f[i] != '!' && f[i] != '?') {
            i += (int)strcspn(f + i, "\n.!?");
            if (i > len)
                i = len;
            if (i < len && f[i] == '\0')
                continue; /* a NUL inside the text */
        }
        int cut = 0, next = i + 1;
        if (i == len) {
            cut = 1;
            next = len;
        } else if (f[i] == '\n') {
            cut = 1;
        } else if (f[i] == '.' || f[i] == '!' || f[i] == '?') {
            if (i + 1 >= len) {
                cut = 1;
            } else {
                char c = f[i + 1];
                unsigned char oc = (unsigned char)orig[ex->map[i + 1]];
                int ws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
                int glued = (oc >= 'A' && oc <= 'Z') && i > 0 && f[i - 1] >= 'a' && f[i - 1] <= 'z';
                if (ws || glued) {
                    int w = i;
                    while (w > 0 && (is_alnum(f[w - 1]) || f[w - 1] == '.'))
                        w--;
                    /* "U.S. dollars": an initial glued to the next is no sentence end */
                    int initial = i - w == 1 || (i - w >= 3 && f[i - 2] == '.');
                    cut = f[i] != '.' || !is_abbrev(f, w, i) || (glued && !initial);
                }
            }
        }
        if (!cut)
            continue;
        int s = start, e = i == len ? len : i + (f[i] != '\n');
        while (s < e && (f[s] == ' ' || f[s] == '\t' || f[s] == '\r' || f[s] == '\n'))
            s++;
        if (e > s) {
            GROW(ex->sents, ex->nsents, ex->sentcap);
            ex->sents[ex->nsents++] = (sentence){s, e, 0, 0};
        }
        start = next;
    }
    return 0;
}

/* ---- items ---------------------------------------------------------------- */

static int add_item(ds_extractor *ex, item it)
{
    GROW(ex->items, ex->nitems, ex->itemcap);
    ex->items[ex->nitems++] = it;
    return 0;
}

/* Original text of [s, e) is all upper case where it has letters. */
static int orig_upper(const ds_extractor *ex, const char *orig, int s, int e)
{
    for (int i = s; i < e; i++) {
        unsigned char c = (unsigned char)orig[ex->map[i]];
        if (c >= 'a' && c <= 'z')
            return 0;
    }
    return 1;
}

static int parse_number(const char *f, int i, int end, double *val)
{
    int j = i;
    double v = 0;
    int digits = 0;
    while (j < end && ((f[j] >= '0' && f[j] <= '9') || (f[j] == ',' && j + 3 < end + 1 && digits &&
                                                         f[j + 1] >= '0' && f[j + 1] <= '9' &&
                                                         j + 3 <= end && f[j + 2] >= '0' &&
                                                         f[j + 2] <= '9' && f[j + 3] >= '0' &&
                                                         f[j + 3] <= '9'))) {
        if (f[j] != ',') {
            v = v * 10 + (f[j] - '0');
            digits++;
        }
        j++;
    }
    /* a decimal comma: "EUR 1,1 billion", "2,35 mld" (the loop above took a
     * comma before three digits as thousands); "1,2,3" is a list */
    int dec_comma = j < end - 1 && f[j] == ',' && digits && f[j + 1] >= '0' && f[j + 1] <= '9' &&
                    !(j + 2 < end && f[j + 2] == ',') && !(j + 3 < end && f[j + 3] == ',');
    if (j < end - 1 && (f[j] == '.' || dec_comma) && f[j + 1] >= '0' && f[j + 1] <= '9') {
        double scale = 0.1;
        j++;
        while (j < end && f[j] >= '0' && f[j] <= '9') {
            v += (f[j] - '0') * scale;
            scale /= 10;
            j++;
        }
    }
    *val = v;
    return j;
}

/* The digits at i are a 4-digit year of 1990-2100 ("mid-2025"). */
static int year_digits(const char *f, int i, int e)
{
    int n = 0, v = 0;
    while (i + n < e && f[i + n] >= '0' && f[i + n] <= '9' && n < 5)
        v = v * 10 + (f[i + n++] - '0');
    return n == 4 && v >= 1990 && v <= 2100;
}

/* Matches the longest catalog alias or lexicon phrase starting at word i of
 * [i, e) ("K2s": a plural of a name) and adds it as an item of clause cl.
 * Returns the offset after the match, 0 when nothing matched, or -2 when
 * out of memory; when wordstart, *word_end is set to the end of the word's
 * letters and digits. */
static int match_phrase(ds_extractor *ex, const char *orig, int i, int e, int cl, int wordstart, int *word_end)
{
    const char *f = ex->fold;
    unsigned wl, alnum;
    const bucket *b = lookup(ex, word_key_alnum(f + i, (size_t)(e - i), &wl, &alnum));
    /* the word's letters and digits, without a '$' that goes on with them ("us$") */
    int w = i + (int)alnum;
    if (wordstart)
        *word_end = w;
    if (!b && wordstart) {
        if (w - i > 2 && f[w - 1] == 's')
            b = lookup(ex, word_key(f + i, (size_t)(w - 1 - i), &wl));
    }
    if (!b)
        return 0;
    /* no phrase of more than the word goes on with the two bytes after it:
     * only the word alone can match */
    unsigned k0 = 0;
    if (i + (int)wl >= e || !(b->next >> ((unsigned char)f[i + wl] & 31) & 1) ||
        (i + (int)wl + 1 < e && !(b->second >> ((unsigned char)f[i + wl + 1] & 31) & 1)))
        k0 = b->nmulti;
    for (unsigned k = k0; k < b->n; k++) {
        const mentry *me = &ex->entries[b->first + k];
        /* the last byte first: most candidates of a common first word ("a",
         * "the") differ there, and it spares the full comparison */
        if ((int)me->len > e - i || (unsigned char)f[i + me->len - 1] != me->last ||
            (me->len > me->wlen + 1 && (unsigned char)f[i + me->wlen + 1] != me->second) ||
            memcmp(f + i, me->text, me->len) != 0)
            continue;
        int end = i + (int)me->len;
        int plural = 0;
        if (end < e && is_alnum(f[end])) {
            /* allow a plural "s" on names ("K2s") */
            if (f[end] == 's' && (end + 1 >= e || !is_alnum(f[end + 1])) && me->type == M_ALIAS)
                plural = 1;
            else if (is_alnum(me->text[me->len - 1]))
                continue;
        }
        item it;
        if (me->type == M_ALIAS) {
            const ds_alias *al = &ex->cat->aliases[me->idx];
            if ((al->flags & DS_ALIAS_ACRONYM) && !orig_upper(ex, orig, i, end))
                continue;
            /* "F404-GE-IN20": an acronym after a hyphen inside a word is part of a designation */
            if ((al->flags & DS_ALIAS_ACRONYM) && i >= 2 && f[i - 1] == '-' && is_alnum(f[i - 2]))
                continue;
            it = (item){.type = IT_ENT, .ent_kind = (unsigned char)al->kind, .idx = al->index,
                        .flags = al->flags | (me->shared ? IT_SHARED_NAME : 0),
                        .start = i, .end = end + plural, .clause = cl, .target_sys = -1};
        } else {
            const lex *lx = &lexicon[me->idx];
            it = (item){.type = IT_CUE, .cue = lx->cue, .idx = (int)me->idx, .start = i, .end = end, .num = lx->val,
                        .clause = cl, .target_sys = -1};
        }
        if (add_item(ex, it))
            return -2;
        return end + plural;
    }
    return 0;
}

/* Finds the items of the text [s, e) of clause cl: numbers, entities and
 * cue phrases. Returns 0 or -2 when out of memory. */
/* "P6.8 billion" (Philippine press): at folded offset i a word is a "p"
 * glued to a sum with a scale word. Adds the prefix as the peso's
 * currency cue and returns the offset of the number, else 0 (-2 on
 * allocation failure). */
static int peso_prefix(ds_extractor *ex, int s, int i, int e, int cl)
{
    const char *f = ex->fold;
    if (f[i] != 'p' || i + 1 >= e || !isdigit((unsigned char)f[i + 1]) || (i > s && is_alnum(f[i - 1])))
        return 0;
    if (i + 4 >= e || (f[i + 2] != '.' && f[i + 2] != ',' && f[i + 2] != ' ' && !isdigit((unsigned char)f[i + 2]) &&
                       f[i + 2] != 'b' && f[i + 2] != 'm'))
        return 0;
    double v;
    int j = parse_number(f, i + 1, e, &v);
    static const char *const scales[] = {" billion", " million", " trillion", "bn", "m "};
    int scaled = 0;
    for (size_t k = 0; k < sizeof scales / sizeof scales[0] && j < e && (f[j] == ' ' || f[j] == 'b' || f[j] == 'm'); k++)
        scaled |= j + (int)strlen(scales[k]) <= e && memcmp(f + j, scales[k], strlen(scales[k])) == 0;
    if (!scaled)
        return 0;
    for (size_t x = 0; x < NLEX; x++)
        if (lexicon[x].cue == CUE_CURPREFIX && strcmp(lexicon[x].text, "php") == 0)
            return add_item(ex, (item){.type = IT_CUE, .cue = CUE_CURPREFIX, .idx = (int)x, .start = i, .end = i + 1,
                                       .clause = cl, .target_sys = -1})
                       ? -2
                       : i + 1;
    return 0;
}

/* "CHF6bn", "RM4.08 billion": a currency code glued to the number after it
 * at word i of clause cl in [s, e). Adds the code's item and returns the
 * offset of the number, 0 when the word is no such code, -2 on allocation
 * failure. */
static int glued_code(ds_extractor *ex, int s, int i, int e, int cl)
{
    static const char *const codes[] = {"usd", "eur", "gbp", "chf", "jpy", "krw", "inr", "rs", "pln", "nok", "sek",
                                        "dkk", "czk", "aud", "cad", "brl", "try", "tl", "sar", "aed", "qar", "egp",
                                        "php", "idr", "rp", "huf", "ron", "mxn", "zar", "ils", "nis", "cny", "rmb",
                                        "twd", "sgd", "nzd", "thb", "myr", "rm", "vnd", "pkr", "uah", "cop", "ars",
                                        "clp", "bgn"};
    const char *f = ex->fold;
    int j = i;
    while (j < e && j - i <= 3 && f[j] >= 'a' && f[j] <= 'z')
        j++;
    if (j - i < 2 || j - i > 3 || j >= e || !isdigit((unsigned char)f[j]) || (i > s && is_alnum(f[i - 1])))
        return 0;
    size_t c = 0;
    while (c < sizeof codes / sizeof codes[0] && !((int)strlen(codes[c]) == j - i && !memcmp(codes[c], f + i, (size_t)(j - i))))
        c++;
    if (c == sizeof codes / sizeof codes[0])
        return 0;
    for (size_t x = 0; x < NLEX; x++)
        if (lexicon[x].cue == CUE_CURPREFIX && strcmp(lexicon[x].text, codes[c]) == 0)
            return add_item(ex, (item){.type = IT_CUE, .cue = CUE_CURPREFIX, .idx = (int)x, .start = i, .end = j,
                                       .clause = cl, .target_sys = -1})
                       ? -2
                       : j;
    return 0;
}

static int scan_clause(ds_extractor *ex, const char *orig, int s, int e, int cl)
{
    const char *f = ex->fold;
    int i = s;
    while (i < e) {
        char c = f[i];
        /* most bytes between words start nothing: spaces and punctuation */
        if (!is_alnum(c) && c != '$') {
            i++;
            continue;
        }
        /* currency signs are symbols, not letters: "€36", "£2bn", "₩5 trillion", "₹500 crore" */
        if ((unsigned char)c == 0xE2 && i + 2 < e && (unsigned char)f[i + 1] == 0x82 &&
            ((unsigned char)f[i + 2] == 0xAC || (unsigned char)f[i + 2] == 0xA9 || (unsigned char)f[i + 2] == 0xB9 ||
             (unsigned char)f[i + 2] == 0xBA || (unsigned char)f[i + 2] == 0xAA || (unsigned char)f[i + 2] == 0xB1)) {
            i += 3;
            continue;
        }
        if ((unsigned char)c == 0xC2 && i + 1 < e && ((unsigned char)f[i + 1] == 0xA3 || (unsigned char)f[i + 1] == 0xA5)) {
            i += 2;
            continue;
        }
        /* a number starts a word, or follows a non-ASCII symbol ("€36", "₩5"), but
         * not a designation's letters and hyphen ("A-200", "MiG-29"; "mid-2025" is a year) */
        if (c >= '0' && c <= '9' && (i == s || !is_alnum(f[i - 1]) || (unsigned char)f[i - 1] >= 0x80) &&
            !(i >= s + 2 && f[i - 1] == '-' && f[i - 2] >= 'a' && f[i - 2] <= 'z' && !year_digits(f, i, e))) {
            double v;
            int j = parse_number(f, i, e, &v);
            /* a number glued to a system name ("K2") is part of a word, not a number */
            if (!(j < e && f[j] >= 'a' && f[j] <= 'z' &&
                  !(f[j] == 'b' || f[j] == 'm' || f[j] == 't' || (f[j] == 's' && j + 1 < e && f[j + 1] == 't') ||
                    f[j] == 'n' || f[j] == 'r'))) {
                if (add_item(ex, (item){.type = IT_NUM, .start = i, .end = j, .num = v, .clause = cl, .target_sys = -1}))
                    return -2;
                i = j;
                continue;
            }
        }
        /* a word starts after a non-word byte, or where letters follow digits ("6.5bn") */
        int wordstart = is_alnum(c) && (i == s || !is_alnum(f[i - 1]) ||
                                        (c >= 'a' && c <= 'z' && f[i - 1] >= '0' && f[i - 1] <= '9'));
        if (!wordstart && c != '$') {
            i++;
            continue;
        }
        int peso = c == 'p' && i + 1 < e && f[i + 1] >= '0' && f[i + 1] <= '9' ? peso_prefix(ex, s, i, e, cl) : 0;
        if (!peso && wordstart && c >= 'a' && c <= 'z' && i + 3 < e &&
            ((f[i + 2] >= '0' && f[i + 2] <= '9') || (f[i + 3] >= '0' && f[i + 3] <= '9')))
            peso = glued_code(ex, s, i, e, cl); /* "CHF6bn", "RM4.08" */
        if (peso < 0)
            return -2;
        if (peso > 0) {
            double v;
            int j = parse_number(f, peso, e, &v);
            if (add_item(ex, (item){.type = IT_NUM, .start = peso, .end = j, .num = v, .clause = cl, .target_sys = -1}))
                return -2;
            i = j;
            continue;
        }
        int wend = 0;
        int next = match_phrase(ex, orig, i, e, cl, wordstart, &wend);
        if (next < 0)
            return -2;
        if (next > 0)
            i = next;
        else if (!wordstart)
            i++; /* a lone symbol */
        else if (wend > i)
            i = wend; /* the word's end, found while matching */
        else
            while (i < e && is_alnum(f[i]))
                i++;
    }
    return 0;
}

/* ---- systems outside the catalog ----------------------------------------- */

/* Capitalised words that start or make no designation: determiners,
 * services, and adjectives of kind ("The", "Army", "Light attack"). */
static const char *const not_designation[] = {
    "the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her", "our", "new", "more", "other",
    "some", "all", "both", "each", "several", "many", "such", "used", "modern", "light", "heavy", "main", "battle",
    "combat", "attack", "armed", "armoured", "armored", "army", "navy", "air", "force", "forces", "marine",
    "marines", "corps", "coast", "guard", "naval", "military", "defence", "defense", "ministry", "government",
    "state", "department", "nato", "western", "soviet", "older", "latest", "advanced", "multirole", "multi-role",
    "self-propelled", "wheeled", "tracked", "transport", "trainer", "unmanned", "medium", "long-range",
    "short-range", "medium-range", "surface-to-air", "anti-tank", "anti-ship", "cruise", "ballistic", "and", "or",
    "of", "for", "with", "to", "in", "on", "at", "by", "as", "from", "and", "utility", "reconnaissance",
    "surveillance", "patrol", "maritime", "tactical", "strategic", "twin-engine", "single-engine", "stealth",
    "infantry", "artillery", "howitzer", "tank", "missile", "rocket", "fighter", "jet", "drone", "helicopter",
    "frigate", "submarine", "radar", "vehicle", "vehicles", "systems", "system", "units", "major", "key", "largest",
    "biggest", "huge", "big", "first", "second", "last", "final", "next", "further", "extra", "local", "foreign",
    "domestic", "export", "second-hand", "surplus", "refurbished", "upgraded", "future", "current", "existing",
    "ageing", "aging", "old", "own", "national", "allied", "rival", "enemy", "russian-made", "us-made", NULL};

static int stop_word(const char *f, int s, int e)
{
    for (int i = 0; not_designation[i]; i++)
        if (not_designation[i][0] == f[s] && strncmp(not_designation[i], f + s, (size_t)(e - s)) == 0 &&
            not_designation[i][e - s] == '\0')
            return 1;
    return 0;
}

/* Sentence [s, e) is a headline in title case ("Poland Buys More Tanks
 * with Cash"): of its words of four letters or more, at least three and
 * four in five start in upper case. */
static int title_case(const ds_extractor *ex, const char *orig, int s, int e)
{
    const char *f = ex->fold;
    int upper = 0, lower = 0;
    for (int i = s; i < e; i++) {
        if (!(f[i] >= 'a' && f[i] <= 'z') || (i > s && is_alnum(f[i - 1])))
            continue;
        int w = i;
        while (w < e && is_alnum(f[w]))
            w++;
        if (w - i >= 4) {
            unsigned char c = (unsigned char)orig[ex->map[i]];
            if (c >= 'a' && c <= 'z')
                lower++;
            else
                upper++;
        }
        i = w;
    }
    return upper >= 3 && lower * 4 <= upper;
}

/* Word [w, q) ends in a suffix that makes it an adjective of origin or
 * time ("Soviet-era", "US-made", "Korean-built"): no designation. */
static int origin_suffix(const char *f, int w, int q)
{
    static const char *const sfx[] = {"-era", "-made", "-built", "-designed", "-based", "-led", "-owned", "-style",
                                      "-standard", "-produced", "-supplied", NULL};
    if (!memchr(f + w, '-', (size_t)(q - w)))
        return 0;
    for (int i = 0; sfx[i]; i++) {
        int n = (int)strlen(sfx[i]);
        if (q - w > n && memcmp(f + q - n, sfx[i], (size_t)n) == 0)
            return 1;
    }
    return 0;
}

/* Folded [w, q) holds a digit. */
static int has_digit(const char *f, int w, int q)
{
    for (int i = w; i < q; i++)
        if (f[i] >= '0' && f[i] <= '9')
            return 1;
    return 0;
}

/* The designation ending at folded offset end and starting no earlier than
 * lo (in sentence st; *headline caches title_case, -1 until known): up to three words separated by single spaces, each capitalised or
 * holding a digit ("IRIS-T SLM", "MQ-9B", "MEKO A-200", "Archer", "David's
 * Sling"), none a stop word or an adjective of origin; in a title-case
 * headline only words holding a digit or two capitals count. Returns its
 * start, or -1 when there is none. */
static int designation_before(const ds_extractor *ex, const char *orig, const sentence *st, int lo, int end,
                              int *headline)
{
    const char *f = ex->fold;
    int p = end, start = -1;
    for (int words = 0; words < 3; words++) {
        if (p - 1 < lo || f[p - 1] != ' ')
            break;
        int q = p - 1, w = q;
        while (w > lo && (is_alnum(f[w - 1]) || f[w - 1] == '-' || (words > 0 && f[w - 1] == '\'')))
            w--;
        if (w == q || f[w] == '-' || f[w] == '\'' || f[q - 1] == '-')
            break;
        unsigned char c0 = (unsigned char)orig[ex->map[w]];
        int cap = c0 >= 'A' && c0 <= 'Z';
        if (!cap && !has_digit(f, w, q))
            break; /* lower case without a digit: most words before a head noun */
        if (stop_word(f, w, q) || origin_suffix(f, w, q))
            break;
        int digits = 0, caps = 0, letters = 0;
        for (int i = w; i < q; i++) {
            unsigned char c = (unsigned char)orig[ex->map[i]];
            digits += c >= '0' && c <= '9';
            caps += c >= 'A' && c <= 'Z';
            letters += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
        }
        if (!letters || !(cap || digits) || (q - w < 2 && !digits))
            break;
        if (!digits && caps < 2 && (*headline < 0 ? (*headline = title_case(ex, orig, st->start, st->end)) : *headline))
            break; /* a title-case headline capitalises every word */
        start = w;
        p = w;
    }
    return start;
}

/* Where a designation may end before the head noun at folded offset end:
 * before up to three lower-case words of kind ("military", "transport")
 * or compounds ("long-range") that describe it ("C-390 Millennium military
 * transport aircraft", "Arrow 3 long-range missile"), all in [lo, end). */
static int skip_modifiers(const ds_extractor *ex, const char *orig, int lo, int end)
{
    const char *f = ex->fold;
    int p = end;
    for (int words = 0; words < 3; words++) {
        if (p - 1 < lo || f[p - 1] != ' ')
            break;
        int q = p - 1, w = q;
        while (w > lo && (is_alnum(f[w - 1]) || f[w - 1] == '-'))
            w--;
        if (w == q)
            break;
        unsigned char c0 = (unsigned char)orig[ex->map[w]];
        int hyphen = memchr(f + w, '-', (size_t)(q - w)) != NULL;
        /* lower case, and a word of kind ("military", "transport") or a
         * compound ("long-range", "shore-based"); not a verb or a name */
        if (!(c0 >= 'a' && c0 <= 'z') || q - w < 4 || !(hyphen || stop_word(f, w, q)))
            break;
        p = w;
    }
    return p;
}

/* Normalises designation d in place as labels write families: upper case;
 * a "-class" or "-type" suffix dropped ("Mogami-class" -> MOGAMI); names
 * after the last word holding a digit dropped ("MQ-9B Predator" -> MQ-9B,
 * "C-390 Millennium" -> C-390); a variant code after a first part that
 * holds both letters and digits dropped ("F404-GE-IN20" -> F404, while
 * "MQ-9B" and "CGR-080" keep theirs). */
static void designation_normalise(char *d)
{
    for (char *p = d; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    size_t first = strcspn(d, "- ");
    if (d[first] == '-') {
        int letters = 0, digits = 0;
        for (size_t i = 0; i < first; i++)
            letters += d[i] >= 'A' && d[i] <= 'Z', digits += d[i] >= '0' && d[i] <= '9';
        if (letters && digits && first >= 3)
            d[first] = '\0';
    }
    size_t n = strlen(d);
    static const char *const sfx[] = {"-CLASS", "-TYPE", NULL};
    for (int i = 0; sfx[i]; i++) {
        size_t k = strlen(sfx[i]);
        if (n > k && memcmp(d + n - k, sfx[i], k) == 0)
            d[n -= k] = '\0';
    }
    char *last_digit_word_end = NULL;
    int words = 0;
    for (char *p = d; *p;) {
        char *w = p;
        int digit = 0;
        while (*p && *p != ' ')
            digit |= *p >= '0' && *p <= '9', p++;
        words++;
        if (digit)
            last_digit_word_end = p;
        while (*p == ' ')
            p++;
        (void)w;
    }
    if (last_digit_word_end && words > 1)
        *last_digit_word_end = '\0';
}

/* Copies the original text of folded [s, e) into out (cap bytes), spaces
 * collapsed, cut at a character boundary. */
static void designation_text(const ds_extractor *ex, const char *orig, int s, int e, char *out, size_t cap)
{
    size_t n = 0;
    size_t os = ex->map[s], oe = ex->map[e - 1] + 1;
    while (oe < ex->map[e] && ((unsigned char)orig[oe] & 0xC0) == 0x80)
        oe++; /* the rest of the last character */
    for (size_t i = os; i < oe && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)orig[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (n && out[n - 1] != ' ')
                out[n++] = ' ';
            continue;
        }
        out[n++] = (char)c;
    }
    while (n && (((unsigned char)out[n - 1] & 0xC0) == 0x80 || (unsigned char)out[n - 1] >= 0xC0)) {
        /* a character cut short: drop it whole */
        size_t k = n - 1;
        while (k > 0 && ((unsigned char)out[k] & 0xC0) == 0x80)
            k--;
        size_t need = (unsigned char)out[k] >= 0xF0 ? 4 : (unsigned char)out[k] >= 0xE0 ? 3 : (unsigned char)out[k] >= 0xC0 ? 2 : 1;
        if (n - k == need)
            break;
        n = k;
    }
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    designation_normalise(out);
}

/* A variant written glued to its family's name ("K9A1EGY", "F-16C"): the
 * catalog system whose alias is the longest proper prefix (ending between a
 * digit and a letter) of the designation's first word at folded [s, e), or
 * -1. */
static int catalog_prefix(const ds_extractor *ex, int s, int e)
{
    const char *f = ex->fold;
    int w = s;
    while (w < e && f[w] != ' ')
        w++;
    for (int n = w - s - 1; n >= 2; n--) {
        char a = f[s + n - 1], b = f[s + n];
        if (!(a >= '0' && a <= '9') || !(b >= 'a' && b <= 'z'))
            continue;
        const ds_alias *al;
        size_t na = ds_catalog_aliases(ex->cat, f + s, (size_t)n, &al);
        for (size_t i = 0; i < na; i++)
            if (al[i].kind == DS_ENT_SYSTEM)
                return al[i].index;
    }
    return -1;
}

/* The index (items' idx) of the article's open system named id, added with
 * category cat when new; -1 when the article names too many. */
static int open_system(ds_extractor *ex, const char *id, const char *cat)
{
    for (int i = 0; i < ex->nopen; i++)
        if (strcmp(ex->open_id[i], id) == 0)
            return (int)ex->cat->nsystems + i;
    if (ex->nopen == DS_MAX_OPEN)
        return -1;
    ds_strlcpy(ex->open_id[ex->nopen], id, sizeof ex->open_id[0]);
    ex->open[ex->nopen].category = (char *)cat;
    return (int)ex->cat->nsystems + ex->nopen++;
}

/* Inserts it into the items at position at. Returns 0 or -2. */
static int insert_item(ds_extractor *ex, size_t at, item it)
{
    GROW(ex->items, ex->nitems, ex->itemcap);
    memmove(&ex->items[at + 1], &ex->items[at], (ex->nitems - at) * sizeof *ex->items);
    ex->items[at] = it;
    ex->nitems++;
    return 0;
}

/* The catalog category of a head noun's unit ("systems" counts anything). */
static const char *head_category(const char *unit)
{
    return strcmp(unit, "unit") == 0 ? "other" : unit;
}

/* Bare mentions in sentence si (items from first on) of the open systems
 * read so far ("The Archer will be built in Sweden"): whole words not
 * inside another item. Returns 0 or -2. */
static int find_open_mentions(ds_extractor *ex, size_t si, size_t first)
{
    const char *f = ex->fold;
    const sentence *st = &ex->sents[si];
    for (int j = 0; j < ex->nopen; j++) {
        const char *w = ex->open_fold[j];
        size_t n = strlen(w);
        if (n < 2)
            continue;
        int from = st->start;
        while (from + (int)n <= st->end) {
            const char *hit = memmem(f + from, (size_t)(st->end - from), w, n);
            if (!hit)
                break;
            int s = (int)(hit - f), e = s + (int)n;
            from = e;
            if ((s > 0 && is_alnum(f[s - 1])) || (e < st->end && is_alnum(f[e]) && !(f[e] == 's' && (e + 1 >= st->end || !is_alnum(f[e + 1])))))
                continue;
            size_t at = first;
            while (at < ex->nitems && ex->items[at].start < s)
                at++;
            if ((at > first && ex->items[at - 1].end > s) || (at < ex->nitems && ex->items[at].start < e))
                continue; /* inside or over another item (the head-noun match itself) */
            item it = {.type = IT_ENT, .ent_kind = DS_ENT_SYSTEM, .idx = (int)ex->cat->nsystems + j, .start = s,
                       .end = e, .target_sys = -1};
            if (insert_item(ex, at, it))
                return -2;
        }
    }
    return 0;
}

/* Systems the catalog lacks, read from their shape in sentence si (items
 * from first on): a designation right before a head noun ("48 Archer
 * howitzers", "IRIS-T SLM air-defence systems", "Leopard 2 tanks"), and
 * later the bare designation of one read earlier in the article. Each
 * becomes a system item of its own family, never another clause's system.
 * Returns 0 or -2. */
static int find_designations(ds_extractor *ex, const char *orig, size_t si, size_t first)
{
    const sentence *st = &ex->sents[si];
    int headline = -1;
    for (size_t u = first; u < ex->nitems; u++) {
        item *un = &ex->items[u];
        if (un->type != IT_CUE || un->cue != CUE_UNIT || memcmp(lexicon[un->idx].str, "amm", 3) == 0)
            continue; /* ammunition names no designation */
        const item *prev = u > first ? &ex->items[u - 1] : NULL;
        if (prev && prev->type == IT_ENT && prev->ent_kind == DS_ENT_SYSTEM && un->start - prev->end <= 1)
            continue; /* "K2 tanks": a catalog system */
        int lo = prev ? prev->end : st->start;
        int head = skip_modifiers(ex, orig, lo, un->start);
        int ds = designation_before(ex, orig, st, lo, head, &headline);
        size_t at = u, drop = 0;
        int de = head - 1;
        if (ds < 0 && prev && prev->type == IT_NUM && head - prev->end == 1 &&
            prev->num < 10000 && prev->num == floor(prev->num)) {
            /* "Leopard 2 tanks": a number glued to a name is part of it */
            int lo2 = u - 1 > first ? ex->items[u - 2].end : st->start;
            int d2 = designation_before(ex, orig, st, lo2, prev->start, &headline);
            if (d2 >= 0) {
                ds = d2;
                de = prev->end;
                at = u - 1;
                drop = 1;
            }
        }
        if (ds < 0)
            continue;
        char id[sizeof ex->open_id[0]];
        designation_text(ex, orig, ds, de, id, sizeof id);
        int idx = catalog_prefix(ex, ds, de);
        if (idx < 0)
            idx = id[0] ? open_system(ex, id, head_category(lexicon[un->idx].str)) : -1;
        if (idx < 0)
            continue;
        item it = {.type = IT_ENT, .ent_kind = DS_ENT_SYSTEM, .idx = idx, .start = ds, .end = de,
                   .clause = un->clause, .target_sys = -1};
        if (drop) {
            ex->items[at] = it;
        } else {
            if (insert_item(ex, at, it))
                return -2;
            u++;
        }
        if ((size_t)(idx - (int)ex->cat->nsystems) == (size_t)ex->nopen - 1 && !ex->open_fold[ex->nopen - 1][0]) {
            size_t n = (size_t)(de - ds) < sizeof ex->open_fold[0] - 1 ? (size_t)(de - ds) : 0;
            memcpy(ex->open_fold[ex->nopen - 1], ex->fold + ds, n);
            ex->open_fold[ex->nopen - 1][n] = '\0';
        }
    }
    return ex->nopen ? find_open_mentions(ex, si, first) : 0;
}

static const lex *cue_lex(const item *it) { return &lexicon[it->idx]; }

/* A date at pos belongs to a dateline when only an upper-case place name and
 * a comma precede it in its line: "WARSAW, Aug 27 (Wire) -". */
static int dateline(const ds_extractor *ex, const char *orig, int pos)
{
    const char *f = ex->fold;
    int p = pos - 1, comma = 0, letters = 0, words = 0;
    while (p >= 0 && f[p] != '\n' && pos - p < 48) {
        char c = f[p];
        if (c == ',') {
            comma = 1;
        } else if (c >= 'a' && c <= 'z') {
            /* a place name: each word capitalised ("SEOUL", "Seoul", "New Delhi") */
            int w = p;
            while (w > 0 && f[w - 1] >= 'a' && f[w - 1] <= 'z')
                w--;
            unsigned char first = (unsigned char)orig[ex->map[w]];
            if (!(first >= 'A' && first <= 'Z'))
                return 0;
            letters += p - w + 1;
            words++;
            p = w;
        } else if (c != ' ' && c != '.' && c != '-') {
            return 0;
        }
        p--;
    }
    return (p < 0 || f[p] == '\n') && comma && letters >= 3 && words <= 3;
}

/* Number words of items [a, b) become numbers; "forty-eight" is one. */
static void combine_number_words(ds_extractor *ex, size_t a, size_t b)
{
    const char *f = ex->fold;
    item *it = ex->items;
    for (size_t i = a; i < b; i++) {
        if (it[i].type != IT_CUE || it[i].cue != CUE_NUMWORD)
            continue;
        it[i].type = IT_NUM;
        if (i + 1 < b && it[i + 1].type == IT_CUE && it[i + 1].cue == CUE_NUMWORD && cue_lex(&it[i + 1])->val < 10 &&
            it[i].num >= 20 && it[i + 1].start == it[i].end + 1 && f[it[i].end] == '-') {
            it[i].num += cue_lex(&it[i + 1])->val;
            it[i].end = it[i + 1].end;
            it[i + 1].used = 1;
            it[i + 1].type = IT_CUE;
            it[i + 1].cue = 0;
        }
        /* "three hundred", "two hundred and fifty": a multiple of a hundred
         * and the tens or units after it */
        if (i + 1 < b && it[i].num < 10 && it[i + 1].type == IT_CUE && it[i + 1].cue == CUE_NUMWORD &&
            cue_lex(&it[i + 1])->val == 100 && strcmp(cue_lex(&it[i + 1])->text, "hundred") == 0 &&
            it[i + 1].start == it[i].end + 1) {
            it[i].num *= 100;
            it[i].end = it[i + 1].end;
            it[i + 1].used = 1;
            it[i + 1].type = IT_CUE;
            it[i + 1].cue = 0;
            size_t k = i + 2;
            int gap = k < b ? it[k].start - it[i].end : 0;
            if (k < b && it[k].type == IT_CUE && it[k].cue == CUE_NUMWORD && cue_lex(&it[k])->val < 100 &&
                ((gap == 1) || (gap == 5 && memcmp(f + it[i].end, " and ", 5) == 0))) {
                it[i].num += cue_lex(&it[k])->val;
                it[i].end = it[k].end;
                it[k].used = 1;
                it[k].type = IT_CUE;
                it[k].cue = 0;
            }
        }
    }
}

/* The dollar a "$" at d names by the letters glued before it: "AU$", "A$"
 * Australian, "C$" Canadian, "NT$" Taiwanese, "NZ$", "HK$", "S$", "R$"
 * (the real), "MX$"; else the US dollar. */
static const char *dollar_of(const char *f, int d)
{
    static const char *const prefixes[][2] = {{"au", "AUD"}, {"a", "AUD"}, {"ca", "CAD"}, {"c", "CAD"},
                                              {"nt", "TWD"}, {"nz", "NZD"}, {"hk", "HKD"}, {"s", "SGD"},
                                              {"r", "BRL"}, {"mx", "MXN"}, {"us", "USD"}};
    int b = d;
    while (b > 0 && d - b < 3 && isalpha((unsigned char)f[b - 1]))
        b--;
    if (b > 0 && is_alnum(f[b - 1]))
        return "USD";
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if ((int)strlen(prefixes[i][0]) == d - b && memcmp(f + b, prefixes[i][0], (size_t)(d - b)) == 0)
            return prefixes[i][1];
    return "USD";
}

/* The currency written before number i of items [a, i]: a sign ("$6.5",
 * "US$6.5", "A$1", "€36", "£2bn", "₩5"), a code ("KRW 8.98") or "PLN 25" /
 * "zl 25bn"; NULL when none. */
static const char *currency_before(const ds_extractor *ex, size_t a, size_t i)
{
    const char *f = ex->fold;
    const item *it = ex->items;
    int s = it[i].start;
    if (i > a && it[i - 1].type == IT_CUE && it[i - 1].cue == CUE_CURPREFIX && s - it[i - 1].end <= 1)
        return cue_lex(&it[i - 1])->str; /* "US$", "R$", "KRW", "Rs." */
    if (s > 0 && f[s - 1] == '$')
        return dollar_of(f, s - 1);
    if (s >= 2 && (unsigned char)f[s - 1] == 0xa3 && (unsigned char)f[s - 2] == 0xc2)
        return "GBP";
    if (s >= 2 && (unsigned char)f[s - 1] == 0xa5 && (unsigned char)f[s - 2] == 0xc2)
        return "JPY"; /* U+00A5 yen sign */
    if (s >= 3 && (unsigned char)f[s - 2] == 0x82 && (unsigned char)f[s - 3] == 0xe2) {
        switch ((unsigned char)f[s - 1]) {
        case 0xac: return "EUR"; /* U+20AC */
        case 0xa9: return "KRW"; /* U+20A9 won sign */
        case 0xb9: return "INR"; /* U+20B9 rupee sign */
        case 0xba: return "TRY"; /* U+20BA lira sign */
        case 0xaa: return "ILS"; /* U+20AA shekel sign */
        case 0xb1: return "PHP"; /* U+20B1 peso sign */
        default: break;
        }
    }
    if (i > a && it[i - 1].type == IT_CUE && it[i - 1].cue == CUE_CURWORD && s - it[i - 1].end <= 1 &&
        strcmp(cue_lex(&it[i - 1])->str, "PLN") == 0)
        return "PLN";
    return NULL;
}

static int country_of_item(const ds_extractor *ex, const item *it, const char **iso3);

/* A currency word several states share ("pesos", "crowns", "kroner") and
 * the code each of them pays in. */
typedef struct shared_currency {
    const char *word;
    const char *fallback;          /* when the article names none of the states */
    const char *const (*states)[2]; /* {ISO3, currency} pairs, NULL-terminated */
} shared_currency;

static const char *const peso_states[][2] = {{"COL", "COP"}, {"MEX", "MXN"}, {"ARG", "ARS"}, {"CHL", "CLP"},
                                             {"URY", "UYU"}, {"DOM", "DOP"}, {"CUB", "CUP"}, {"PHL", "PHP"},
                                             {NULL, NULL}};
static const char *const crown_states[][2] = {{"CZE", "CZK"}, {"DNK", "DKK"}, {"NOR", "NOK"}, {"SWE", "SEK"},
                                              {"ISL", "ISK"}, {NULL, NULL}};
static const shared_currency shared_currencies[] = {
    {"pesos", "PHP", peso_states}, {"de pesos", "PHP", peso_states}, {"crowns", "SEK", crown_states},
    {"kroner", "NOK", crown_states}, {"krone", "NOK", crown_states}};

/* The currency curword (a CUE_CURWORD lexicon entry) names at item i: for
 * a word several states share, the one of the first of them the article
 * names up to item i ("Colombia ... 16,5 billones de pesos": COP; "the
 * Czech Republic ... 53 billion crowns": CZK); else the word's own. */
static const char *currency_of_word(const ds_extractor *ex, const lex *curword, size_t i)
{
    const shared_currency *sc = NULL;
    for (size_t w = 0; w < sizeof shared_currencies / sizeof shared_currencies[0] && !sc; w++)
        if (strcmp(curword->text, shared_currencies[w].word) == 0)
            sc = &shared_currencies[w];
    if (!sc)
        return curword->str;
    for (size_t k = 0; k < i; k++) {
        const char *iso3;
        if (!country_of_item(ex, &ex->items[k], &iso3))
            continue;
        for (size_t p = 0; sc->states[p][0]; p++)
            if (strcmp(iso3, sc->states[p][0]) == 0)
                return sc->states[p][1];
    }
    return sc->fallback;
}

/* Number item i is written "3.135" before a Spanish or Portuguese scale
 * word ("3.135 millones de euros"), whose dot groups thousands: those
 * languages write decimals with a comma. */
static int dot_groups_thousands(const ds_extractor *ex, const item *num, const lex *scale)
{
    static const char *const romance[] = {"millones", "mil millones", "billones", "billon", "milhoes", "milhao",
                                          "bilhoes", "bilhao"};
    int roman = 0;
    for (size_t r = 0; r < sizeof romance / sizeof romance[0]; r++)
        roman |= strcmp(scale->text, romance[r]) == 0;
    const char *f = ex->fold;
    int s = num->start, e = num->end, dot = -1;
    for (int p = s; p < e; p++) {
        if (f[p] == '.' && dot >= 0)
            return 0;
        if (f[p] == '.')
            dot = p;
        else if (!isdigit((unsigned char)f[p]))
            return 0;
    }
    return roman && dot > s && e - dot == 4;
}

/* The text [p, q) joins the two ends of a range: "-", "\xe2\x80\x93" (an en
 * dash) or " to ". */
static int range_dash(const char *f, int p, int q)
{
    return (q - p == 1 && f[p] == '-') || (q - p == 3 && memcmp(f + p, "\xe2\x80\x93", 3) == 0) ||
           (q - p == 4 && memcmp(f + p, " to ", 4) == 0);
}

/* The scale and currency words after number i ("6.5 billion dollars", "25
 * bln zl"): *scale (1 when none) and *next (the first item after them).
 * Number i becomes a sum when it has a currency and a scale or four
 * digits; returns 1 then. */
static int read_money(ds_extractor *ex, size_t a, size_t b, size_t i, size_t *next, double *scale)
{
    item *it = ex->items;
    double v = it[i].num;
    const char *cur = currency_before(ex, a, i);
    size_t j = i + 1;
    while (j < b && it[j].used && it[j].type == IT_CUE && it[j].cue == 0 && it[j].end <= it[i].end)
        j++; /* the words of "twenty-four", "three hundred" joined into number i */
    *scale = 1;
    /* "$1.3-1.5 billion", "1.3 to 1.5 billion euros": the low end of a
     * range takes the scale written after its high end */
    size_t hi = i;
    if (j + 1 < b && it[j].type == IT_NUM && !it[j].used && it[j].num >= v && it[j + 1].type == IT_CUE &&
        it[j + 1].cue == CUE_SCALE && it[j + 1].start - it[j].end <= 1 && range_dash(ex->fold, it[i].end, it[j].start))
        hi = j++;
    if (j < b && it[j].type == IT_CUE && it[j].cue == CUE_SCALE && it[j].start - it[hi].end <= 1) {
        *scale = cue_lex(&it[j])->val;
        if (dot_groups_thousands(ex, &it[i], cue_lex(&it[j])))
            v *= 1000;
        j++;
    }
    /* "2,9 Mrd. Euro", "5 mln. zl": an abbreviated scale keeps its dot */
    int gap = j > i + 1 && it[j - 1].end < ex->flen && ex->fold[it[j - 1].end] == '.' ? 2 : 1;
    if (!cur && j < b && it[j].type == IT_CUE && it[j].cue == CUE_CURWORD && it[j].start - it[j - 1].end <= gap) {
        cur = currency_of_word(ex, cue_lex(&it[j]), i);
        j++;
    } else if (!cur && *scale > 1 && j < b && it[j].type == IT_CUE && it[j].cue == CUE_CURPREFIX &&
               it[j].start - it[j - 1].end <= gap && strlen(cue_lex(&it[j])->text) == 3 &&
               isalpha((unsigned char)cue_lex(&it[j])->text[2])) {
        cur = cue_lex(&it[j])->str; /* "4,6 mld USD": an ISO code after the scale */
        j++;
    }
    *next = j;
    if (!cur || !(*scale > 1 || v >= 1000) || !(v * *scale < 1e16))
        return 0;
    it[i].type = IT_MONEY;
    it[i].num = v * *scale;
    ds_strlcpy(it[i].cur, cur, sizeof it[i].cur);
    if (j > i + 1)
        it[i].end = it[j - 1].end;
    for (size_t k = i + 1; k < j; k++)
        it[k].used = 1;
    return 1;
}

/* A year item right after item k (within two bytes): its value, marked
 * used; else 0. */
static int year_after(ds_extractor *ex, size_t b, size_t k)
{
    item *it = ex->items;
    if (k + 1 < b && it[k + 1].type == IT_NUM && it[k + 1].num >= 1990 && it[k + 1].num <= 2100 &&
        it[k + 1].start - it[k].end <= 2) {
        it[k + 1].used = 1;
        return (int)it[k + 1].num;
    }
    return 0;
}

/* Number i as a day of a month ("August 1", "1 August", "Aug. 1, 2025"),
 * dated in the article's year when no year is given ("Dec 29" in an article
 * of Jan 2 is last year's), or as a 4-digit year. A date of the dateline
 * ("WARSAW, Aug 27 (Wire) -") is dropped. Returns 1 when number i was taken. */
/* Digits at p of [p, len): n digits (1 to max) read into *v; returns the
 * offset after them, or -1. */
static int digits_at(const char *f, int p, int len, int max, int *v)
{
    int q = p;
    *v = 0;
    while (q < len && q - p < max && isdigit((unsigned char)f[q]))
        *v = *v * 10 + (f[q++] - '0');
    return q > p && !(q < len && isdigit((unsigned char)f[q])) ? q : -1;
}

/* A date written in figures at p: "3.03.2026" (day, month, year, as Polish,
 * German or Turkish press writes it) or "2026-03-03"; sets *day and returns
 * the offset after it, else -1. */
static int numeric_date(const char *f, int p, int len, int32_t *day)
{
    int a, b, c, q = p;
    while (q < len && q - p < 5 && isdigit((unsigned char)f[q]))
        q++;
    if (q >= len || (f[q] != '.' && f[q] != '-'))
        return -1; /* most numbers: neither form */
    if ((q = digits_at(f, p, len, 2, &a)) > 0 && q < len && f[q] == '.' &&
        (q = digits_at(f, q + 1, len, 2, &b)) > 0 && q < len && f[q] == '.' &&
        (q = digits_at(f, q + 1, len, 4, &c)) > 0 && c >= 1990 && c <= 2100 && b >= 1 && b <= 12 && a >= 1 && a <= 31) {
        *day = ds_days_from_civil(c, b, a);
        return q;
    }
    if ((q = digits_at(f, p, len, 4, &a)) > 0 && a >= 1990 && a <= 2100 && q < len && f[q] == '-' &&
        (q = digits_at(f, q + 1, len, 2, &b)) > 0 && q < len && f[q] == '-' &&
        (q = digits_at(f, q + 1, len, 2, &c)) > 0 && b >= 1 && b <= 12 && c >= 1 && c <= 31) {
        *day = ds_days_from_civil(a, b, c);
        return q;
    }
    return -1;
}

/* f starts with an ordinal's suffix and a space ("th March", "1st May"). */
static int ordinal_suffix(const char *f)
{
    return (!memcmp(f, "st ", 3) || !memcmp(f, "nd ", 3) || !memcmp(f, "rd ", 3) || !memcmp(f, "th ", 3));
}

static int read_date(ds_extractor *ex, const char *orig, size_t a, size_t b, size_t i, int32_t pubday)
{
    item *it = ex->items;
    double v = it[i].num;
    int32_t nday;
    int nend = numeric_date(ex->fold, it[i].start, ex->flen, &nday);
    if (nend > 0 && !dateline(ex, orig, it[i].start)) {
        it[i].type = IT_DATE;
        it[i].date = nday;
        it[i].end = nend;
        for (size_t k = i + 1; k < b && it[k].start < nend; k++)
            it[k].used = 1; /* the month and year read as numbers of their own */
        return 1;
    }
    int month = 0, day = 0, year = 0, dstart = it[i].start;
    int is_day = v >= 1 && v <= 31 && v == floor(v);
    if (i > a && it[i - 1].type == IT_CUE && it[i - 1].cue == CUE_MONTH && it[i].start - it[i - 1].end <= 2 && is_day) {
        month = (int)cue_lex(&it[i - 1])->val;
        day = (int)v;
        dstart = it[i - 1].start;
        year = year_after(ex, b, i);
    } else if (i + 1 < b && it[i + 1].type == IT_CUE && it[i + 1].cue == CUE_MONTH &&
               (it[i + 1].start - it[i].end == 1 || (it[i + 1].start - it[i].end == 3 && ordinal_suffix(ex->fold + it[i].end))) &&
               is_day) {
        month = (int)cue_lex(&it[i + 1])->val;
        day = (int)v;
        year = year_after(ex, b, i + 1);
    }
    if (month && dateline(ex, orig, dstart)) {
        it[i].used = 1;
        return 1;
    }
    if (month) {
        int py = 0, pm = 0, pd = 0;
        if (pubday != DS_NO_DATE)
            ds_civil_from_days(pubday, &py, &pm, &pd);
        if (!year)
            year = py;
        if (year) {
            int32_t d = ds_days_from_civil(year, month, day);
            if (!it[i].used && pubday != DS_NO_DATE && year == py && d > pubday + 31)
                d = ds_days_from_civil(year - 1, month, day);
            it[i].type = IT_DATE;
            it[i].date = d;
            return 1;
        }
    }
    if (v >= 1990 && v <= 2100 && v == floor(v) && it[i].end - it[i].start == 4) {
        it[i].type = IT_YEAR;
        return 1;
    }
    return 0;
}

/* "116 of the K2GF version": a variant's share; "116 of the new batch": a
 * part of a quantity, not one. Number i is followed by " of ". */
static void read_share(ds_extractor *ex, size_t b, size_t i)
{
    item *it = ex->items;
    for (size_t k = i + 1; k < b && k <= i + 4; k++) {
        if (it[k].type == IT_NUM || it[k].type == IT_MONEY)
            return;
        if (it[k].type == IT_ENT && it[k].ent_kind == DS_ENT_SYSTEM && it[k].start - it[i].end < 24 &&
            sys_of(ex, it[k].idx)->variant_of) {
            it[i].type = IT_QTY;
            it[i].target_sys = it[k].idx;
            return;
        }
    }
}

/* A quantity: number i then, within five words and no punctuation, a system
 * ("180 K2 tanks") or a unit noun ("72 units of its K239": a generic unit
 * counts the system named next). */
/* A count written "1.000" groups thousands with its dot (items are whole):
 * the value it stands for. */
static double whole_count(const char *f, const item *n)
{
    int dot = -1;
    for (int p = n->start; p < n->end; p++) {
        if (f[p] == '.' && dot >= 0)
            return n->num;
        if (f[p] == '.')
            dot = p;
        else if (!isdigit((unsigned char)f[p]))
            return n->num;
    }
    return dot > n->start && n->end - dot == 4 ? n->num * 1000 : n->num;
}

static void read_quantity(ds_extractor *ex, size_t b, size_t i)
{
    const char *f = ex->fold;
    item *it = ex->items;
    it[i].num = whole_count(f, &it[i]);
    for (size_t k = i + 1; k < b && k <= i + 5; k++) {
        if (it[k].type == IT_NUM || it[k].type == IT_MONEY)
            return;
        int gap_ok = 1;
        for (int p = it[k - 1].end; p < it[k].start; p++)
            if (f[p] == ',' || f[p] == ';' || f[p] == '(' || f[p] == ':')
                gap_ok = 0;
        int words = 0;
        for (int p = it[i].end; p < it[k].start; p++)
            if (f[p] == ' ')
                words++;
        if (!gap_ok || words > 5)
            return;
        if (it[k].type == IT_ENT && it[k].ent_kind == DS_ENT_SYSTEM) {
            it[i].type = IT_QTY;
            it[i].target_sys = it[k].idx;
            if (k + 1 < b && it[k + 1].type == IT_CUE && it[k + 1].cue == CUE_UNIT)
                it[i].unit = cue_lex(&it[k + 1])->str;
            return;
        }
        /* "two fighter mega-deals": a count of deals, not of fighters */
        if (it[k].type == IT_CUE && it[k].cue == CUE_UNIT && k + 1 < b && it[k + 1].type == IT_CUE &&
            it[k + 1].cue == CUE_DEAL && it[k + 1].start - it[k].end <= 6 && f[it[k + 1].end - 1] == 's')
            return;
        /* "five anti-submarine frigates": a unit word after a hyphen
         * qualifies the head noun that follows */
        if (it[k].type == IT_CUE && it[k].cue == CUE_UNIT && it[k].start > 0 && f[it[k].start - 1] == '-' &&
            k + 1 < b && it[k + 1].type == IT_CUE && it[k + 1].cue == CUE_UNIT && it[k + 1].start - it[k].end <= 1)
            continue;
        if (it[k].type == IT_CUE && it[k].cue == CUE_UNIT) {
            it[i].type = IT_QTY;
            it[i].unit = cue_lex(&it[k])->str;
            if (strcmp(it[i].unit, "unit") == 0)
                for (size_t k2 = k + 1; k2 < b && k2 <= k + 3; k2++) {
                    if (it[k2].type == IT_ENT && it[k2].ent_kind == DS_ENT_SYSTEM && it[k2].start - it[k].end < 16) {
                        it[i].target_sys = it[k2].idx;
                        break;
                    }
                    if (it[k2].type != IT_ENT)
                        break;
                }
            return;
        }
    }
}

/* A unit of measure follows offset p ("239 mm guided rockets", "290 km"):
 * the number before it is a calibre or a range, not a count. */
/* The number ending at p counts no item: an ordinal ("the 28th country"),
 * or a count of states, buyers, people, units of an army or time ("ten
 * nations that fly the CV90", "two squadrons of FA-50s", "60 per cent",
 * "five years"). */
static int counts_no_item(const char *f, int p, int len)
{
    static const char *const nouns[] = {"countries", "nations", "customers", "users", "operators", "states",
                                        "members", "companies", "firms", "people", "pilots", "engineers", "jobs",
                                        "squadrons", "battalions", "regiments", "brigades", "divisions",
                                        "years", "months", "weeks", "days", "hours", "per cent", "percent", NULL};
    static const char *const suffixes[] = {"st", "nd", "rd", "th"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (p + 2 <= len && memcmp(f + p, suffixes[i], 2) == 0 && (p + 2 == len || !is_alnum(f[p + 2])))
            return 1;
    if (p >= len || f[p] != ' ')
        return 0;
    p++;
    for (int i = 0; nouns[i]; i++) {
        int n = (int)strlen(nouns[i]);
        if (p + n <= len && memcmp(f + p, nouns[i], (size_t)n) == 0 && (p + n == len || !is_alnum(f[p + n])))
            return 1;
    }
    return 0;
}

static int measure_after(const char *f, int p, int len)
{
    static const char *const units[] = {"mm", "km", "kg", "cm", "tonnes", "tons", "kn", "nm", "miles", NULL};
    if (p < len && (f[p] == ' ' || f[p] == '-'))
        p++;
    if (p >= len || !strchr("mkctn", f[p]) || f[p] == '\0')
        return 0;
    for (int i = 0; units[i]; i++) {
        int n = (int)strlen(units[i]);
        /* "10 KM-SAM batteries": letters after a hyphen make a name */
        if (p + n <= len && memcmp(f + p, units[i], (size_t)n) == 0 && (p + n == len || !is_alnum(f[p + n])) &&
            !(p + n + 1 < len && f[p + n] == '-' && isalpha((unsigned char)f[p + n + 1])))
            return 1;
    }
    return 0;
}

/* Turns raw numbers of clause items [a, b) into money, dates, years and
 * quantities, in that order of preference. */
/* "signed ... on the 1st", "said on the 30th" (Korean and Japanese press):
 * item it names a day of the publication month, or of the month before
 * when that day is still to come. Makes it a date and returns 1, else 0. */
static int day_of_month(ds_extractor *ex, item *it, int32_t pubday)
{
    const char *f = ex->fold;
    int n, d;
    if (it->type == IT_CUE && it->cue == CUE_ORDINAL && it->end - it->start >= 3 && isdigit((unsigned char)f[it->start]))
        n = (int)cue_lex(it)->val;
    else if (it->type == IT_NUM && !it->used && it->end + 2 <= ex->flen &&
             (it->end + 2 == ex->flen || !is_alnum(f[it->end + 2])) &&
             (!memcmp(f + it->end, "st", 2) || !memcmp(f + it->end, "nd", 2) || !memcmp(f + it->end, "rd", 2) ||
              !memcmp(f + it->end, "th", 2)) &&
             it->num >= 1 && it->num <= 31)
        n = (int)it->num; /* a day; a larger number is no day and no int */
    else
        return 0;
    if (pubday == DS_NO_DATE || n < 1 || n > 31 || it->start < 7 || memcmp(f + it->start - 7, "on the ", 7) != 0)
        return 0;
    int y, m;
    ds_civil_from_days(pubday, &y, &m, &d);
    if (n > d && --m == 0) {
        m = 12;
        y--;
    }
    it->type = IT_DATE;
    it->cue = 0;
    it->date = ds_days_from_civil(y, m, n);
    return 1;
}

/* "an order for Rafale Marine fighters, twenty-six of them": number i
 * counts the system or unit named just before it in [a, i). */
static void count_of_them(ds_extractor *ex, size_t a, size_t i)
{
    item *it = ex->items;
    for (size_t k = i; k-- > a && i - k <= 4;) {
        if (it[k].type == IT_CUE && it[k].cue == CUE_UNIT) {
            it[i].type = IT_QTY;
            it[i].unit = cue_lex(&it[k])->str;
            for (size_t j = k; j-- > a && k - j <= 2;)
                if (it[j].type == IT_ENT && it[j].ent_kind == DS_ENT_SYSTEM && it[k].start - it[j].end <= 1)
                    it[i].target_sys = it[j].idx; /* "Rafale Marine fighters" */
            return;
        }
        if (it[k].type == IT_ENT && it[k].ent_kind == DS_ENT_SYSTEM) {
            it[i].type = IT_QTY;
            it[i].target_sys = it[k].idx;
            return;
        }
        if (it[k].type == IT_NUM || it[k].type == IT_QTY || it[k].type == IT_MONEY)
            return;
    }
}

static void interpret_numbers(ds_extractor *ex, const char *orig, size_t a, size_t b, int32_t pubday)
{
    const char *f = ex->fold;
    item *it = ex->items;
    combine_number_words(ex, a, b);
    for (size_t i = a; i < b; i++) {
        if ((it[i].type == IT_NUM || (it[i].type == IT_CUE && it[i].cue == CUE_ORDINAL)) &&
            day_of_month(ex, &it[i], pubday))
            continue;
        if (it[i].type != IT_NUM || it[i].used)
            continue;
        if (!(it[i].num < 1e15)) {
            it[i].used = 1; /* no count or sum is that large: keep casts to int64 defined */
            continue;
        }
        size_t j;
        double scale;
        if (read_money(ex, a, b, i, &j, &scale) || read_date(ex, orig, a, b, i, pubday))
            continue;
        if (j > i + 1 && scale == 1e3) {
            /* "10 tys. rakiet", "10 thousand rockets": a count */
            it[i].num *= scale;
            it[i].end = it[j - 1].end;
            it[j - 1].used = 1;
        } else if (it[i].end < ex->flen && (f[it[i].end] == '%' || scale > 1)) {
            continue; /* percentages, sums without a currency */
        }
        if (it[i].end + 8 <= ex->flen && memcmp(f + it[i].end, " of them", 8) == 0)
            count_of_them(ex, a, i);
        else if (it[i].end + 4 <= ex->flen && memcmp(f + it[i].end, " of ", 4) == 0)
            read_share(ex, b, i);
        else if (!measure_after(f, it[i].end, ex->flen) && !counts_no_item(f, it[i].end, ex->flen))
            read_quantity(ex, b, i);
    }
}

/* The word "fleet" follows folded offset p, directly or after one word
 * ("F-16 fleet", "MiG-21 LanceR fleet"). */
static int fleet_after(const char *f, int p, int len)
{
    for (int words = 0; words < 2 && p < len && f[p] == ' '; words++) {
        int q = p + 1;
        while (q < len && is_alnum(f[q]))
            q++;
        if (q - p - 1 == 5 && memcmp(f + p + 1, "fleet", 5) == 0)
            return 1;
        p = q;
    }
    return 0;
}

/* Item k, a system, carries a system named later in its clause (items up
 * to b): "carrying" or "transporting" stands between them, with no other
 * system before it. */
static int carries_system(const ds_extractor *ex, size_t k, size_t b)
{
    const char *f = ex->fold;
    for (size_t j = k + 1; j < b; j++) {
        const item *x = &ex->items[j];
        if (x->type != IT_ENT || x->ent_kind != DS_ENT_SYSTEM)
            continue;
        for (int p = ex->items[k].end; p + 10 <= x->start; p++)
            if (!memcmp(f + p, " carrying ", 10) || (p + 14 <= x->start && !memcmp(f + p, " transporting ", 14)))
                return 1;
        return 0;
    }
    return 0;
}

/* "guided rockets for the Chunmoo launcher", "the main munition of the K239":
 * a system named after a thing of another kind, with "for"/"of", only
 * describes that thing; it is not what the deal buys. */
/* "had chosen the Swedish jet over the US-made F-16 and France's Rafale":
 * system item k (of the clause whose items start at a) comes after "over"
 * or "ahead of" that follows a choosing word of its clause, with no deal
 * word between: a rival passed over. */
static int passed_over(const ds_extractor *ex, size_t a, size_t k)
{
    static const char *const overs[] = {" over ", " ahead of "};
    int chose = -1;
    for (size_t j = a; j < k && chose < 0; j++)
        if (ex->items[j].type == IT_CUE && ex->items[j].cue == CUE_SELECTION)
            chose = ex->items[j].end;
    if (chose < 0)
        return 0;
    const char *f = ex->fold;
    int hi = ex->items[k].start;
    const char *over = NULL;
    for (size_t i = 0; i < sizeof overs / sizeof overs[0] && !over; i++)
        over = find_in(f + chose, (size_t)(hi - chose), overs[i], strlen(overs[i]));
    if (!over)
        return 0;
    for (size_t j = a; j < k; j++) {
        const item *x = &ex->items[j];
        if (x->start > over - f && x->type == IT_CUE && (x->cue == CUE_DEAL || x->cue == CUE_SIGNED))
            return 0;
    }
    return 1;
}

/* "arrived on Friday aboard Indian Air Force C-17 transport aircraft":
 * system item k (of the clause whose items start at a) follows "aboard"
 * or "on board" a few words before it: the carrier of a delivery. */
static int carried_aboard(const ds_extractor *ex, size_t a, size_t k)
{
    static const char *const ons[] = {" aboard ", " on board "};
    int hi = ex->items[k].start, lo = hi - 40 > ex->items[a].start ? hi - 40 : ex->items[a].start;
    for (size_t i = 0; i < sizeof ons / sizeof ons[0]; i++)
        if (find_in(ex->fold + lo, (size_t)(hi - lo), ons[i], strlen(ons[i])))
            return 1;
    return 0;
}

/* "the FA-50 will partly replace the MiG-29 and Su-22 jets": system item
 * k (of the clause whose items start at a) follows a verb of replacing
 * within a few words, with no deal word between: what a buyer retires. */
static int replaced_fleet(const ds_extractor *ex, size_t a, size_t k)
{
    int hi = ex->items[k].start, lo = hi - 48 > ex->items[a].start ? hi - 48 : ex->items[a].start;
    const char *verb = find_in(ex->fold + lo, (size_t)(hi - lo), "replac", 6); /* replace, -s, -d, -ing */
    /* "replace the four Sauro-class boats ..., and the six Ula-class": the
     * list goes on from the last replaced system */
    for (size_t j = k; !verb && j-- > a && hi - ex->items[j].end < 80;)
        if (ex->items[j].type == IT_MOD && ex->items[j].ent_kind == DS_ENT_SYSTEM && replaced_fleet(ex, a, j))
            verb = ex->fold + ex->items[j].end;
    if (!verb)
        return 0;
    for (size_t j = a; j < k; j++) {
        const item *x = &ex->items[j];
        if (x->start > verb - ex->fold && x->type == IT_CUE &&
            (x->cue == CUE_DEAL || x->cue == CUE_SIGNED || x->cue == CUE_PLANNED))
            return 0; /* "replace them with a contract for 12 F-16" */
    }
    return 1;
}

/* The folded span s..e is written without a capital or a digit in the
 * original text ("the 'gap filler' version"): a description, not a name. */
static int written_lowercase(const ds_extractor *ex, const char *orig, int s, int e)
{
    for (int i = s; i < e; i++) {
        unsigned char c = (unsigned char)orig[ex->map[i]];
        if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80)
            return 0; /* a capital, a digit, or a letter beyond ASCII ("İstif") */
    }
    return 1;
}

/* "Rafale aircraft purchased from France": a past participle of buying
 * right after a head noun or a system describes a fleet (a reduced
 * relative clause), it triggers no deal; its cue becomes neutral. With an
 * agent ("bought by Serbia") it still states a purchase. */
static void mark_participles(ds_extractor *ex, size_t a, size_t b)
{
    static const char *const parts[] = {"purchased", "acquired", "procured", "bought"};
    for (size_t k = a + 1; k < b; k++) {
        item *it = &ex->items[k];
        const item *pv = &ex->items[k - 1];
        if (it->type != IT_CUE || it->cue != CUE_SIGNED || it->start - pv->end != 1 ||
            (it->end + 4 <= ex->flen && memcmp(ex->fold + it->end, " by ", 4) == 0))
            continue; /* "systems bought by Serbia": the agent names the buyer */
        if (!((pv->type == IT_CUE && pv->cue == CUE_UNIT) || (pv->type == IT_ENT && pv->ent_kind == DS_ENT_SYSTEM)))
            continue;
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            if (strcmp(lexicon[it->idx].text, parts[i]) == 0)
                it->cue = CUE_NEUTRAL;
    }
}

static void mark_modifiers(ds_extractor *ex, const char *orig, size_t a, size_t b)
{
    mark_participles(ex, a, b);
    static const struct { const char *s; int n; } links[] = {{" for the ", 9}, {" of the ", 8}, {" for ", 5},
                                                             {" of ", 4},       {" for its ", 9}, {" of its ", 8},
                                                             {" to power ", 10}, {" to power the ", 14},
                                                             {" will power the ", 16}, {" that power ", 12}};
    const char *f = ex->fold;
    int delivering = -1; /* a carrier only matters where something arrives; known at the first system */
    int replacing = -1;  /* the clause has a verb of replacing; known at the first system */
    for (size_t k = a; k < b; k++) {
        item *it = &ex->items[k];
        if (it->type != IT_ENT || it->ent_kind != DS_ENT_SYSTEM)
            continue;
        for (size_t j = a; j < b && delivering < 0; j++)
            delivering = ex->items[j].type == IT_CUE && ex->items[j].cue == CUE_DELIVERY ? 1 : j + 1 == b ? 0 : -1;
        if (replacing < 0)
            replacing = find_in(f + ex->items[a].start, (size_t)(ex->items[b - 1].end - ex->items[a].start), "replac", 6) != NULL;
        const ds_system *sy = sys_of(ex, it->idx);
        /* "where the FA-50 competes with the Tejas", "chose the F-35 over the
         * Rafale": a rival, not a purchase */
        int rival = passed_over(ex, a, k);
        for (size_t j = a; j < k && !rival; j++)
            rival = ex->items[j].type == IT_CUE && ex->items[j].cue == CUE_RIVAL;
        if (rival) {
            it->type = IT_MOD;
            continue;
        }
        /* "12 FA-50GF aircraft, the 'gap filler' version": a catalog alias
         * written as a description right after another system describes it */
        if (k > a && written_lowercase(ex, orig, it->start, it->end)) {
            int named_before = 0;
            for (size_t j = k; j-- > a && !named_before;)
                named_before = ex->items[j].type == IT_ENT && ex->items[j].ent_kind == DS_ENT_SYSTEM &&
                               ex->sys_root[ex->items[j].idx] != ex->sys_root[it->idx] &&
                               it->start - ex->items[j].end < 40;
            if (named_before) {
                it->type = IT_MOD;
                continue;
            }
        }
        /* "will replace the six Ula-class submarines": the fleet being replaced */
        if (replacing && replaced_fleet(ex, a, k)) {
            it->type = IT_MOD;
            continue;
        }
        /* "known in Poland as the Homar-K": another name, not another deal */
        if ((it->start >= 4 && memcmp(f + it->start - 4, " as ", 4) == 0) ||
            (it->start >= 8 && memcmp(f + it->start - 8, " as the ", 8) == 0)) {
            it->type = IT_MOD;
            continue;
        }
        /* "the successor to its MiG-21 LanceR fleet": what a country already
         * flies, not what it buys; "Y-20 transport aircraft ... carrying FK-3
         * systems": the carrier, not the cargo */
        if (fleet_after(f, it->end, ex->flen) || (delivering && (carries_system(ex, k, b) || carried_aboard(ex, a, k)))) {
            it->type = IT_MOD;
            continue;
        }
        /* "Homar-K ammunition contract", "the Homar-K framework agreement" while
         * the clause counts something else: the system names the programme */
        if (k + 1 < b && ex->items[k + 1].start - it->end <= 1) {
            const item *nx = &ex->items[k + 1];
            int prog = (nx->type == IT_CUE && nx->cue == CUE_UNIT && strcmp(lexicon[nx->idx].str, "ammunition") == 0) ||
                       (nx->type == IT_CUE && nx->cue == CUE_FRAMEWORK);
            int other_counted = 0;
            for (size_t j = a; j < b && prog; j++)
                if (ex->items[j].type == IT_QTY && ex->items[j].target_sys >= 0 &&
                    strcmp(sys_of(ex, ex->items[j].target_sys)->family, sy->family) != 0)
                    other_counted = 1;
            if (prog && (other_counted || nx->cue == CUE_UNIT)) {
                it->type = IT_MOD;
                continue;
            }
        }
        if (k == a)
            continue;
        for (size_t j = k; j-- > a && k - j <= 3;) {
            const item *u = &ex->items[j];
            const char *cat = NULL;
            if (u->type == IT_CUE && u->cue == CUE_UNIT)
                cat = lexicon[u->idx].str;
            else if (u->type == IT_QTY && u->unit)
                cat = u->unit;
            else if (u->type == IT_ENT && u->ent_kind == DS_ENT_SYSTEM)
                cat = sys_of(ex, u->idx)->category; /* "CGR-080 guided rockets for the Homar-K" */
            if (!cat)
                continue;
            if (strcmp(cat, sy->category) == 0 || strcmp(cat, "unit") == 0)
                break;
            int gap = it->start - u->end;
            for (size_t l = 0; l < sizeof links / sizeof links[0]; l++) {
                int n = links[l].n;
                /* the link word right after the unit, the system within a few words */
                if (gap >= n && gap < n + 24 && memcmp(f + u->end, links[l].s, (size_t)n) == 0) {
                    it->type = IT_MOD;
                    break;
                }
            }
            break;
        }
    }
}

/* ---- assembling mentions ------------------------------------------------- */

typedef struct fam {
    const char *family;     /* catalog family id or generic category */
    int root;               /* catalog index of the family's root system, -1 when generic */
    int generic;
    int primary;            /* reported as news */
    int nprimary_clauses;
    int body_primary;       /* a deal clause below the headline reports it */
    uint64_t cues;
} fam;

#define MAX_FAMS 16


/* The family of a catalog system (root >= 0) or a generic category (root -1). */
static int fam_index(const ds_extractor *ex, fam *fams, int *nfams, const char *family, int root)
{
    for (int i = 0; i < *nfams; i++)
        if (root >= 0 ? fams[i].root == root : fams[i].root < 0 && family && strcmp(fams[i].family, family) == 0)
            return i;
    if (*nfams == MAX_FAMS)
        return -1;
    if (root >= 0)
        family = sys_of(ex, root)->id;
    fams[*nfams] = (fam){family, root, root < 0, 0, 0, 0};
    return (*nfams)++;
}

/* The root system of a catalog family, NULL for a generic one. */
static const ds_system *fam_root(const ds_extractor *ex, const fam *fm)
{
    return fm->root >= 0 ? sys_of(ex, fm->root) : NULL;
}

/* Does clause c mention family f (catalog systems, or its generic unit)? */
static int clause_has_family(const ds_extractor *ex, const clause *c, const fam *fm)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (!fm->generic && it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM &&
            ex->sys_root[it->idx] == fm->root)
            return 1;
        if (fm->generic && it->type == IT_CUE && it->cue == CUE_UNIT && strcmp(lexicon[it->idx].str, fm->family) == 0)
            return 1;
    }
    return 0;
}

static const uint64_t deal_cues = BIT(CUE_DEAL) | BIT(CUE_SIGNED) | BIT(CUE_PLANNED) | BIT(CUE_FRAMEWORK) |
                                  BIT(CUE_EXECUTIVE) | BIT(CUE_JV) | BIT(CUE_SELECTION) |
                                  BIT(CUE_APPROVAL) | BIT(CUE_LOA) | BIT(CUE_DELIVERY) | BIT(CUE_CEREMONY) |
                                  BIT(CUE_FIRST) | BIT(CUE_EXERCISE) | BIT(CUE_MEMORANDUM) | BIT(CUE_AMENDMENT) |
                                  BIT(CUE_CANCEL);

/* A clause that can carry a primary deal: deal words, not only talk. */
static int clause_is_deal(const clause *c)
{
    if (c->context || !(c->cues & deal_cues))
        return 0;
    if ((c->cues & BIT(CUE_NEGATION)) && !(c->cues & BIT(CUE_SIGNED)))
        return 0;
    if (c->cues & BIT(CUE_DENIAL))
        return 0;
    if ((c->cues & BIT(CUE_SOFAR)) && !(c->cues & (BIT(CUE_SIGNED) | BIT(CUE_PLANNED))))
        return 0; /* "has received more than 100 so far", "the contracts so far": a running total */
    if ((c->cues & BIT(CUE_INTENT)) &&
        !(c->cues & (BIT(CUE_SIGNED) | BIT(CUE_PLANNED) | BIT(CUE_APPROVAL) | BIT(CUE_SELECTION) | BIT(CUE_DELIVERY) |
                     BIT(CUE_CEREMONY) | BIT(CUE_CANCEL))))
        return 0;
    if ((c->cues & BIT(CUE_AGGREGATE)) && (!(c->cues & (BIT(CUE_SIGNED) | BIT(CUE_PLANNED))) || !c->has_qty))
        return 0; /* totals and budgets, unless a counted purchase is in the clause */
    return 1;
}

static void set_evidence(const ds_extractor *ex, ds_mention *m, const char *field, const clause *c)
{
    const sentence *s = &ex->sents[c->sent];
    ds_mention_evidence(m, field, (int32_t)ex->map[s->start], (int32_t)(s->end > s->start ? ex->map[s->end - 1] + 1 : ex->map[s->start]));
}

static int country_of_item(const ds_extractor *ex, const item *it, const char **iso3)
{
    if (it->type != IT_ENT)
        return 0;
    if (it->ent_kind == DS_ENT_COUNTRY) {
        *iso3 = ex->cat->countries[it->idx].iso3;
        return (it->flags & DS_ALIAS_ADJECTIVE) ? 1 : 2;
    }
    if (it->ent_kind == DS_ENT_AUTHORITY && !(it->flags & IT_SHARED_NAME)) {
        *iso3 = ex->cat->authorities[it->idx].country;
        return 2;
    }
    return 0;
}

static void money_to_value(const ds_extractor *ex, const item *mo, const item *usd, int year, ds_value *v)
{
    memset(v, 0, sizeof *v);
    v->set = 1;
    v->amount = llround(mo->num * 100);
    ds_strlcpy(v->currency, mo->cur, sizeof v->currency);
    v->usd = -1;
    if (strcmp(mo->cur, "USD") == 0) {
        v->usd = v->amount;
    } else if (usd) {
        v->usd = llround(usd->num * 100);
    } else {
        double rate = ds_catalog_rate(ex->cat, mo->cur, year ? year : 2025);
        if (rate > 0)
            v->usd = llround(mo->num / rate * 100);
    }
}

/* Place of signing: a capitalised word after "in" that is not a country or month. */
static int find_place(const ds_extractor *ex, const char *orig, const clause *c, char *out, size_t cap)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type != IT_CUE || it->cue != CUE_IN)
            continue;
        int p = it->end;
        const char *f = ex->fold;
        while (p < c->end && f[p] == ' ')
            p++;
        if (p >= c->end)
            continue;
        unsigned char oc = (unsigned char)orig[ex->map[p]];
        if (!(oc >= 'A' && oc <= 'Z') && oc < 0x80)
            continue;
        /* the next item must not be a country, month or other known word */
        int known = 0;
        if (k + 1 < c->first_item + c->nitems && ex->items[k + 1].start == p) {
            const item *nx = &ex->items[k + 1];
            if (nx->type == IT_ENT && !(nx->ent_kind == DS_ENT_COUNTRY && (nx->flags & DS_ALIAS_METONYM)))
                known = 1;
            if (nx->type == IT_CUE || nx->type == IT_DATE || nx->type == IT_YEAR || nx->type == IT_NUM)
                known = 1;
        }
        if (known)
            continue;
        int q = p;
        while (q < c->end && (is_alnum(f[q]) || f[q] == '-'))
            q++;
        size_t os = ex->map[p], oe = q < (int)c->end ? ex->map[q] : ex->map[q - 1] + 1;
        if (oe <= os || oe - os >= cap)
            continue;
        memcpy(out, orig + os, oe - os);
        out[oe - os] = '\0';
        return 1;
    }
    return 0;
}

static int push_mention(ds_extractor *ex, ds_mention **m)
{
    GROW(ex->out, ex->nout, ex->outcap);
    *m = &ex->out[ex->nout++];
    ds_mention_init(*m);
    return 0;
}

static void add_supplier(ds_mention *m, const char *company, ds_supplier_role role)
{
    for (int i = 0; i < m->nsuppliers; i++)
        if (strcmp(m->suppliers[i].company, company) == 0)
            return;
    if (m->nsuppliers == DS_MAX_SUPPLIERS)
        return;
    ds_strlcpy(m->suppliers[m->nsuppliers].company, company, sizeof m->suppliers[0].company);
    m->suppliers[m->nsuppliers++].role = role;
}

static int clause_names_system(const ds_extractor *ex, const clause *c)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++)
        if (ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_SYSTEM)
            return 1;
    return 0;
}

/* "Hyundai Rotem said Saturday it had signed": the weekday dates the report. */
static int dates_the_saying(const ds_extractor *ex, const item *wd)
{
    static const struct { const char *s; int n; } verbs[] = {
        {"said ", 5}, {"announced ", 10}, {"told ", 5}, {"reported ", 9}, {"added ", 6}, {"said on ", 8},
        {"announced on ", 13}, {"said on the ", 12}, {"announced on the ", 17}};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (wd->start >= verbs[i].n &&
            memcmp(ex->fold + wd->start - verbs[i].n, verbs[i].s, (size_t)verbs[i].n) == 0)
            return 1;
    return 0;
}

/* The sums of clause c (a dollar conversion right after a sum counted with
 * it when conversions_apart is 0) and its distinct system families, into
 * seen[0..*nfam). Returns the number of sums. */
static int sums_and_families(const ds_extractor *ex, const clause *c, int conversions_apart, const char **seen,
                             int *nfam)
{
    int nmoney = 0;
    *nfam = 0;
    for (int j = c->first_item; j < c->first_item + c->nitems; j++) {
        const item *it = &ex->items[j];
        if (it->type == IT_MONEY &&
            (conversions_apart || !(j > c->first_item && strcmp(it->cur, "USD") == 0 &&
                                    ex->items[j - 1].type == IT_MONEY && strcmp(ex->items[j - 1].cur, "USD") != 0)))
            nmoney++;
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM) {
            const char *f = sys_of(ex, it->idx)->family;
            int dup = 0;
            for (int q = 0; q < *nfam; q++)
                dup |= strcmp(seen[q], f) == 0;
            if (!dup && *nfam < MAX_FAMS)
                seen[(*nfam)++] = f;
        }
    }
    return nmoney;
}

/* Clause c names as many sums as system families, two or more, or one
 * more for their total: each family's own sum (money_is_mine tells which). */
static int sums_per_family(const ds_extractor *ex, const clause *c)
{
    const char *seen[MAX_FAMS];
    int nfam, nmoney = sums_and_families(ex, c, 0, seen, &nfam);
    return nfam >= 2 && nmoney >= nfam; /* one more is their total ("$5.8 billion in total") */
}

/* In a clause naming several families and several sums ("180 K2 for $3.37B
 * and 212 K9 for $2.4B"), a sum belongs to the family named last before it
 * (or first after it); with one sum it is the clause's, for every family. */
static int money_is_mine(const ds_extractor *ex, const clause *c, int k, const fam *fm)
{
    const char *seen[MAX_FAMS];
    int nfam, nmoney = sums_and_families(ex, c, 1, seen, &nfam);
    if (nmoney < 2 || nfam < 2)
        return 1;
    /* as many sums as systems: the n-th sum is the n-th system's
     * ("first K2 and K9 executive contracts: $3.37B and $2.4B") */
    if (nmoney == nfam) {
        int rank = 0;
        for (int j = c->first_item; j < k; j++)
            rank += ex->items[j].type == IT_MONEY;
        return strcmp(seen[rank], fm->family) == 0;
    }
    /* "$3.37B to 180 K2GF and $2.4B to 212 K9A1": sums lead their systems;
     * "180 K2 for $3.37B and 212 K9 for $2.4B": systems lead their sums */
    int first_money = -1, first_sys = -1;
    for (int j = c->first_item; j < c->first_item + c->nitems; j++) {
        if (ex->items[j].type == IT_MONEY && first_money < 0)
            first_money = j;
        if (ex->items[j].type == IT_ENT && ex->items[j].ent_kind == DS_ENT_SYSTEM && first_sys < 0)
            first_sys = j;
    }
    int sums_lead = first_money < first_sys;
    const char *owner = NULL;
    if (sums_lead) {
        for (int j = k + 1; j < c->first_item + c->nitems && !owner && ex->items[j].type != IT_MONEY; j++)
            if (ex->items[j].type == IT_ENT && ex->items[j].ent_kind == DS_ENT_SYSTEM)
                owner = sys_of(ex, ex->items[j].idx)->family;
    } else {
        for (int j = k - 1; j >= c->first_item && !owner; j--)
            if (ex->items[j].type == IT_ENT && ex->items[j].ent_kind == DS_ENT_SYSTEM)
                owner = sys_of(ex, ex->items[j].idx)->family;
    }
    return !owner || strcmp(owner, fm->family) == 0;
}

/* Clause c speaks of deals in the plural ("the contracts", "both deals")
 * before any singular deal noun. */
static int plural_deals(const ds_extractor *ex, const clause *c)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_CUE && it->cue == CUE_COMBINED)
            return 1; /* "both contracts", "the two deals" */
        if (it->type == IT_CUE && it->cue == CUE_DEAL) {
            const char *t = lexicon[it->idx].text;
            return t[strlen(t) - 1] == 's';
        }
    }
    return 0;
}

/* ---- one primary mention, step by step ------------------------------------ */

/* What the clauses of an article say about one primary deal: gathered clause
 * by clause (gather_clause), then turned into the mention's fields (the
 * settle_ steps). */
typedef struct primary_acc {
    const fam *fm;
    const ds_system *root;     /* NULL for a generic family */
    const char *category;      /* the root's category, or the generic family */
    int nprimary, only_sent;
    int32_t pubday;
    int pubyear, pubmonth;
    const char *seller;
    uint64_t cues, lead_cues;
    int lead_seen;
    int64_t lead_qty;
    int co_listed;             /* a deal clause lists this system with another */
    int variant_idx, nvariant_names, root_named;
    int first_qty_kind;        /* 1: the system or its unit was counted first, 2: a variant */
    int64_t qty, fw_qty;
    int qty_headline, money_headline; /* taken from the headline, the body may correct them */
    const clause *qty_clause, *fw_qty_clause, *var_clause;
    const item *money, *usd_money;
    const clause *money_clause;
    int money_has_family, money_combined;
    int money_counts_others;   /* the sum's clause also counts items of other kinds */
    int32_t planned, said, said_will, signing;
    int32_t headline_day; /* "Contracts for June 21, 2024": a day the headline names */
    int32_t deal_day;     /* "agreed on Friday to buy": the day of a deal clause that does not sign */
    int planned_year;     /* "expected to be signed later this month": the year of a planned signing */
    int64_t batch_qty;    /* "a first tranche of six jets": the count of the batch the ordinal names */
    const clause *lead_clause, *split_clause; /* the lead, and the clause of split_prime */
    const clause *deal_day_clause;
    const clause *planned_clause, *said_clause, *said_will_clause, *date_clause, *place_clause;
    const clause *headline_clause;
    int sign_year;
    int batch, another, is_fw;
    int local_rest;
    const char *local_suffix, *rest_variant;
    int64_t rest_qty, split_prime;
    int score[8];
    int authority[8]; /* the country was named by one of its authorities or armed forces */
    const char *countries[8];
    int ncountries;
    const char *resale;      /* "24 ex-Danish F-16s": the state that sells its used ones */
    const char *approver;    /* "the State Department approved a possible sale": the exporting state */
    const char *customer;    /* "HAL signed a contract with GE": the state of the company that buys */
    int intent;              /* a clause naming the family states an intent to buy it */
    int letter_of_intent;    /* the lead signs a letter of intent */
    int lead_buys;           /* the lead names a purchase ("a purchase contract", "to buy") */
    int not_yet;             /* a clause of the deal says it is not signed yet */
    const char *lead_buyer;  /* "Germany will buy four more ...": the state the lead says buys */
    const char *lead_subject; /* "Finland has exercised ...": the state subject of the lead's trigger */
    int forces_subject;      /* "The Defence Ministry signed ...": the lead's trigger has an unnamed state's ministry or forces as subject */
    int options_held;        /* option words of own clauses that a contract grants ("with options for 25 more") */
    int options_taken;       /* the other option words of own clauses ("signed an option for 12") */
} primary_acc;

/* How one clause bears on the deal being built (see gather_clause). */
typedef struct clause_view {
    const clause *c;
    int has;           /* names the family, or shares a sentence with a clause that does */
    int shared;        /* a deal clause or fact-box row naming no system: speaks of every deal */
    int own;           /* its sums, counts, parties and suppliers are this deal's */
    int own_sum;       /* its sums are (own, or it follows a clause naming this family alone); -1 unknown yet */
    size_t ci;         /* index of the clause */
    int dealish;       /* clause_is_deal */
    int future_exec;   /* later executive contracts under the framework the lead reports */
    int families_here; /* systems of other families it names */
} clause_view;

/* Clause c is in the article's headline: the first line, with no full
 * stop before its end. */
static int headline(const ds_extractor *ex, const clause *c)
{
    if (c->sent != 0 || ex->nsents < 2)
        return 0;
    const sentence *s = &ex->sents[0];
    return s->end < ex->flen && ex->fold[s->end] == '\n' && ex->fold[s->end - 1] != '.';
}

/* Clause c is the row of a fact box: the first clause of a line that opens,
 * after an optional bullet, with a label of one to three words and a colon
 * ("- Quantity: 32 aircraft", "Value: $6.5 billion"). */
static int factbox_row(const ds_extractor *ex, const clause *c)
{
    const char *f = ex->fold;
    int p = c->start;
    if (p > 0 && f[p - 1] != '\n')
        return 0;
    int lim = c->end - p < 40 ? c->end - p : 40; /* a label is short */
    if (!memchr(f + p, ':', (size_t)(lim > 0 ? lim : 0)))
        return 0;
    if (p + 1 < c->end && (f[p] == '-' || f[p] == '*') && f[p + 1] == ' ')
        p += 2;
    for (int words = 0; words < 3 && p < c->end; words++) {
        int q = p;
        while (q < c->end && (isalpha((unsigned char)f[q]) || f[q] == '-'))
            q++;
        if (q == p)
            return 0;
        if (q < c->end && f[q] == ':')
            return words > 0 || q - p > 1; /* "Q:" and "A:" open an interview's turns, not a box's rows */
        if (q >= c->end || f[q] != ' ')
            return 0;
        p = q + 1;
    }
    return 0;
}

/* Delivery dates are not contract dates: a hand-over dates nothing here. */
static const uint64_t signing_cues = BIT(CUE_SIGNED) | BIT(CUE_APPROVAL) | BIT(CUE_SELECTION) | BIT(CUE_LOA) |
                                     BIT(CUE_OPTION) | BIT(CUE_EXERCISE);

/* Sets up *pa for family fm; see build_primary for the arguments. */
static void primary_init(const ds_extractor *ex, const fam *fm, int nprimary, int32_t pubday, int only_sent,
                         primary_acc *pa)
{
    memset(pa, 0, sizeof *pa);
    pa->fm = fm;
    pa->root = fam_root(ex, fm);
    pa->category = pa->root ? pa->root->category : fm->family;
    pa->nprimary = nprimary;
    pa->only_sent = only_sent;
    pa->pubday = pubday;
    int pd_;
    if (pubday != DS_NO_DATE)
        ds_civil_from_days(pubday, &pa->pubyear, &pa->pubmonth, &pd_);
    pa->seller = pa->root && pa->root->origin[0] ? pa->root->origin : NULL; /* none known outside the catalog */
    pa->lead_qty = pa->qty = pa->fw_qty = pa->rest_qty = pa->split_prime = -1;
    pa->variant_idx = -1;
    pa->planned = pa->said = pa->said_will = pa->signing = pa->headline_day = pa->deal_day = DS_NO_DATE;
}

/* Whether a deal clause names family fm together with another system ("a
 * contract ... for 54 K9 howitzers and 36 K10 resupply vehicles"). */
static int co_listed(const ds_extractor *ex, const fam *fm)
{
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        if (c->context || !clause_is_deal(c) || !clause_has_family(ex, c, fm))
            continue;
        for (int k = c->first_item; k < c->first_item + c->nitems; k++)
            if (ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_SYSTEM &&
                ex->sys_root[ex->items[k].idx] != fm->root)
                return 1;
    }
    return 0;
}

/* The category of family fm's system and whether it is outside the catalog. */
static void set_category(const ds_extractor *ex, const fam *fm, ds_mention *m)
{
    const ds_system *root = fam_root(ex, fm);
    ds_strlcpy(m->category, root ? root->category : fm->family, sizeof m->category);
    m->out_of_catalog = fm->root >= (int)ex->cat->nsystems;
}

/* Fills *v for clause ci; returns 0 when the clause says nothing of the deal
 * (it neither names the family, nor shares a sentence with a clause that
 * does, nor speaks of every deal; or it recalls an earlier deal). */
/* "Foreign Military Sales (Poland) funds" in a US contract announcement:
 * country item it is the state the contract buys for. */
/* The folded text from p to q joins two members of a list ("Kuwait,
 * Qatar and Saudi Arabia"). */
static int list_separator(const char *f, int p, int q)
{
    static const char *const seps[] = {", ", " and ", ", and ", ", the ", " and the ", ", and the "};
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
        int n = (int)strlen(seps[i]);
        if (q - p == n && memcmp(f + p, seps[i], (size_t)n) == 0)
            return 1;
    }
    return 0;
}

/* The index of the first country of the list of countries that item k
 * belongs to (k when it stands alone). */
static size_t country_list_start(const ds_extractor *ex, size_t k)
{
    const char *iso3;
    while (k > 0 && country_of_item(ex, &ex->items[k - 1], &iso3) == 2 &&
           list_separator(ex->fold, ex->items[k - 1].end, ex->items[k].start))
        k--;
    return k;
}

/* Text ending at folded offset p ends with one of the n phrases. */
static int ends_with_any(const char *f, int p, const char *const *phrases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(phrases[i]);
        if (p >= l && memcmp(f + p - l, phrases[i], (size_t)l) == 0)
            return 1;
    }
    return 0;
}

static int fms_buyer(const ds_extractor *ex, const item *it)
{
    static const char *const fms[] = {"foreign military sales (", "fms (", "foreign military sales funds ("};
    /* "involves Foreign Military Sales to Kuwait, Qatar and Saudi Arabia" */
    static const char *const to[] = {"military sales to ", "military sales to the ", "fms to ", "fms to the "};
    if (it->start >= 1 && ex->fold[it->start - 1] == '(' && ends_with_any(ex->fold, it->start, fms, 3))
        return 1;
    const item *head = &ex->items[country_list_start(ex, (size_t)(it - ex->items))];
    if (head->start < 4 || ex->fold[head->start - 1] != ' ' || ex->fold[head->start - 2] == ',')
        return 0; /* every phrase ends "to " or "the " */
    return ends_with_any(ex->fold, head->start, to, sizeof to / sizeof to[0]);
}

/* Clause c names no system of another family than fm. */
static int names_alone(const ds_extractor *ex, const clause *c, const fam *fm)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM && ex->sys_root[it->idx] != fm->root)
            return 0;
    }
    return 1;
}

/* Folded offsets a and b lie in one paragraph (no blank line between). */
static int same_paragraph(const ds_extractor *ex, int a, int b)
{
    for (int p = a; p + 1 < b; p++)
        if (ex->fold[p] == '\n' && ex->fold[p + 1] == '\n')
            return 0;
    return 1;
}

/* The nearest clause before clause ci of the body that names a system and
 * recalls nothing: its index, or -1 when there is none, or when the
 * headline or (with same_para) a paragraph's end comes first. */
static int prior_system_clause(const ds_extractor *ex, size_t ci, int same_para)
{
    for (size_t cj = ci; cj-- > 0;) {
        const clause *c = &ex->clauses[cj];
        if (c->context || !clause_names_system(ex, c))
            continue;
        if (headline(ex, c) || (same_para && !same_paragraph(ex, c->end, ex->clauses[ci].start)))
            return -1;
        return (int)cj;
    }
    return -1;
}

/* The backward half of last_named_alone: the sentence of the nearest
 * earlier body clause of clause ci's paragraph that names a system, when it
 * names family fm alone; -1 when it names another; -2 when there is none. */
static int named_alone_before(const ds_extractor *ex, size_t ci, const fam *fm)
{
    if (fm->generic)
        return -1;
    int cj = prior_system_clause(ex, ci, 1);
    if (cj < 0)
        return -2;
    return names_alone(ex, &ex->clauses[cj], fm) ? ex->clauses[cj].sent : -1;
}

/* "The partners plan to invest PLN 1 billion": a clause naming no system
 * prices the deal named last before it in its paragraph, when the nearest
 * earlier clause of the body that names a system, not a recall, names
 * family fm alone; with none before it, the next one of the paragraph.
 * Returns that clause's sentence, else -1. */
static int last_named_alone(const ds_extractor *ex, size_t ci, const fam *fm)
{
    if (fm->generic)
        return -1;
    int before = named_alone_before(ex, ci, fm);
    if (before != -2)
        return before;
    /* "Boeing is awarded a $712 million modification ... This modification
     * exercises an option for four P-8A": the paragraph names it next */
    const char *gap = memmem(ex->fold + ex->clauses[ci].end, (size_t)(ex->flen - ex->clauses[ci].end), "\n\n", 2);
    int para_end = gap ? (int)(gap - ex->fold) : ex->flen;
    for (size_t cj = ci + 1; cj < ex->nclauses; cj++) {
        const clause *c = &ex->clauses[cj];
        if (c->start > para_end)
            return -1;
        if (c->context || !clause_names_system(ex, c))
            continue;
        return names_alone(ex, c, fm) ? c->sent : -1;
    }
    return -1;
}

/* "The minister signed three framework agreements with Korean makers.
 * They cover 980 K2 tanks, 648 K9 howitzers and 48 FA-50 jets": clause c,
 * with no deal word of its own, counts system item k, and the sentence
 * before it in its paragraph signs a deal naming no system; the index of
 * that signing clause, else -1. */
static int items_of_sentence_before(const ds_extractor *ex, const clause *c, int k)
{
    if (c->sent == 0 || c->context || (c->cues & deal_cues) || k == c->first_item ||
        ex->items[k - 1].type != IT_QTY || ex->items[k - 1].target_sys != ex->items[k].idx)
        return -1;
    const sentence *pv = &ex->sents[c->sent - 1];
    if (!same_paragraph(ex, pv->end, ex->sents[c->sent].start))
        return -1;
    for (int ci = pv->c0; ci < pv->c1; ci++) {
        const clause *d = &ex->clauses[ci];
        if (d->context || !clause_is_deal(d) || !(d->cues & signing_cues) || clause_names_system(ex, d))
            continue;
        /* the signing introduces the system: no clause before it names it */
        for (int cj = 0; cj < ci; cj++)
            for (int j = ex->clauses[cj].first_item; j < ex->clauses[cj].first_item + ex->clauses[cj].nitems; j++)
                if (ex->items[j].type == IT_ENT && ex->items[j].ent_kind == DS_ENT_SYSTEM &&
                    ex->sys_root[ex->items[j].idx] == ex->sys_root[ex->items[k].idx])
                    return -1;
        return ci;
    }
    return -1;
}

/* Clause ci signs the deals that the next sentence counts, family fm among
 * them (items_of_sentence_before). */
static int announces_family(const ds_extractor *ex, size_t ci, const fam *fm)
{
    int si = ex->clauses[ci].sent;
    if ((size_t)si + 1 >= ex->nsents || fm->generic)
        return 0;
    const sentence *nx = &ex->sents[si + 1];
    for (int cj = nx->c0; cj < nx->c1; cj++) {
        const clause *c = &ex->clauses[cj];
        for (int k = c->first_item; k < c->first_item + c->nitems; k++)
            if (ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_SYSTEM &&
                ex->sys_root[ex->items[k].idx] == fm->root && items_of_sentence_before(ex, c, k) == (int)ci)
                return 1;
    }
    return 0;
}

static int view_clause(const ds_extractor *ex, const primary_acc *pa, size_t ci, clause_view *v)
{
    const clause *c = &ex->clauses[ci];
    memset(v, 0, sizeof *v);
    v->c = c;
    /* a clause that does not recall an earlier deal shares its sentence's family */
    v->has = clause_has_family(ex, c, pa->fm);
    for (size_t cj = (size_t)ex->sents[c->sent].c0; !v->has && cj < (size_t)ex->sents[c->sent].c1; cj++)
        if (cj != ci && !ex->clauses[cj].context && clause_has_family(ex, &ex->clauses[cj], pa->fm))
            v->has = 1;
    /* a deal clause naming no system speaks of every deal of the article
     * ("The two contracts were signed Friday at Morag"); its sums and
     * numbers belong to the deal only when there is one */
    int invests = (c->cues & BIT(CUE_INVEST)) && (pa->cues & BIT(CUE_JV));
    int funds = 0; /* "Foreign Military Sales (Poland) funds" after the award naming this system */
    for (int k = c->first_item; k < c->first_item + c->nitems && !v->has && !funds; k++)
        funds = ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_COUNTRY && fms_buyer(ex, &ex->items[k]) &&
                last_named_alone(ex, ci, pa->fm) >= 0;
    if (funds)
        v->has = 1;
    if (!v->has && (clause_is_deal(c) || (c->cues & BIT(CUE_VALUEWORD)) || c->factbox || invests) &&
        !clause_names_system(ex, c))
        v->shared = 1;
    if ((!v->has && !v->shared) || c->context)
        return 0;
    /* With only_sent >= 0 the deal is one of several of its family in the
     * article and owns that sentence alone (<= -2: clause -only_sent - 2
     * alone); otherwise the clause only dates and places it. */
    if (pa->only_sent >= 0)
        v->own = c->sent == pa->only_sent;
    else if (pa->only_sent <= -2)
        v->own = ci == (size_t)(-pa->only_sent - 2);
    else /* a clause naming no system speaks of the deal its paragraph named last */
        v->own = v->has || pa->nprimary == 1 || (v->shared && clause_is_deal(c) && named_alone_before(ex, ci, pa->fm) >= 0);
    if (v->shared && !v->own && announces_family(ex, ci, pa->fm))
        v->own = 1; /* "signed three framework agreements. They cover ... 48 FA-50" */
    v->ci = ci;
    v->own_sum = v->own ? 1 : v->shared && pa->only_sent >= -1 ? -1 : 0; /* -1: decided at its first sum */
    v->dealish = clause_is_deal(c);
    /* "Executive contracts, the first of which may be signed before the
     * end of the year, will specify quantities" after a lead reporting a
     * framework: later contracts under it, not this deal's stage, batch
     * or status */
    v->future_exec = pa->lead_seen && (pa->lead_cues & BIT(CUE_FRAMEWORK)) && !(pa->lead_cues & BIT(CUE_EXECUTIVE)) &&
                     (c->cues & (BIT(CUE_EXECUTIVE) | BIT(CUE_FIRST))) && (c->cues & (BIT(CUE_PLANNED) | BIT(CUE_INTENT)));
    return 1;
}

/* Item it is a deal word that names a purchase, not only a contract or an
 * agreement ("a purchase contract", "to buy", "an order"). */
static int buys_word(const item *it)
{
    static const char *const buys[] = {"purchase", "purchases", "purchasing", "buy", "buys", "order", "orders",
                                       "acquire", "acquires", "acquisition", "procure", "procures", "procurement"};
    if (it->type != IT_CUE || it->cue != CUE_DEAL)
        return 0;
    for (size_t i = 0; i < sizeof buys / sizeof buys[0]; i++)
        if (strcmp(lexicon[it->idx].text, buys[i]) == 0)
            return 1;
    return 0;
}

/* "Germany will buy four more Type 212CD", "Poland ordered 96 Apaches":
 * clause c opens with a state whose next word buys; that state, else NULL. */
static const char *buying_subject(const ds_extractor *ex, const clause *c)
{
    const char *iso3;
    if (c->nitems < 2 || country_of_item(ex, &ex->items[c->first_item], &iso3) != 2)
        return NULL;
    const item *v = &ex->items[c->first_item + 1];
    const char *t = v->type == IT_CUE ? lexicon[v->idx].text : "";
    int buys = buys_word(v) || strcmp(t, "ordered") == 0 || strcmp(t, "bought") == 0 || strcmp(t, "has bought") == 0 ||
               strncmp(t, "agreed to", 9) == 0;
    return buys && v->start - ex->items[c->first_item].end <= 6 ? iso3 : NULL; /* " will " at most */
}

/* The trigger of clause c: its first signing, exercising or approving
 * word; its index, or -1. */
static int clause_trigger(const ds_extractor *ex, const clause *c)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_CUE && (it->cue == CUE_SIGNED || it->cue == CUE_EXERCISE || it->cue == CUE_APPROVAL))
            return k;
    }
    return -1;
}

/* "Finland has exercised the option ...", "Spain on Tuesday signed ...":
 * the state that opens clause c right before its trigger (only a day
 * between them); else NULL. */
static const char *signing_subject(const ds_extractor *ex, const clause *c)
{
    const char *iso3;
    int t = clause_trigger(ex, c);
    if (t < 0 || t == c->first_item || country_of_item(ex, &ex->items[c->first_item], &iso3) != 2)
        return NULL;
    for (int k = c->first_item + 1; k < t; k++)
        if (ex->items[k].type != IT_CUE ||
            (ex->items[k].cue != CUE_WEEKDAY && ex->items[k].cue != CUE_TODAY && ex->items[k].cue != CUE_YESTERDAY))
            return NULL;
    return ex->items[t].start - ex->items[c->first_item].end <= 24 ? iso3 : NULL;
}

/* "The Defence Ministry on Friday signed a contract with Bharat
 * Electronics": before the trigger of clause c, no state is named and a
 * ministry or a service of the armed forces is the subject. */
static int forces_subject(const ds_extractor *ex, const clause *c)
{
    static const char *const who[] = {"ministry", "army", "navy", "air force", "armed forces", "defence forces",
                                      "defense forces", "coast guard", "marine corps"};
    int t = clause_trigger(ex, c);
    if (t < 0)
        return 0;
    for (int k = c->first_item; k < t; k++)
        if (ex->items[k].type == IT_ENT)
            return 0;
    const char *f = ex->fold + c->start;
    size_t n = (size_t)(ex->items[t].start - c->start);
    for (size_t i = 0; i < sizeof who / sizeof who[0]; i++)
        if (find_in(f, n, who[i], strlen(who[i])))
            return 1;
    return 0;
}

/* "a contract for 25 F-15IA, with options for 25 additional aircraft":
 * option item it is one the contract grants, not one exercised or bought. */
static int option_held(const ds_extractor *ex, const item *it)
{
    static const char *const grants[] = {"with options ", "with an option ", "with the option ", "plus options ",
                                         "and options ", "and an option ", "includes options ", "includes an option "};
    const char *f = ex->fold;
    int e = it->end + 1;
    for (size_t i = 0; i < sizeof grants / sizeof grants[0]; i++) {
        int n = (int)strlen(grants[i]);
        if (e >= n && e <= ex->flen && memcmp(f + e - n, grants[i], (size_t)n) == 0)
            return 1;
    }
    return 0;
}

/* Some clause before clause ci (the headline too) names family fm. */
static int named_by(const ds_extractor *ex, size_t ci, const fam *fm)
{
    for (size_t cj = 0; cj < ci; cj++)
        if (clause_has_family(ex, &ex->clauses[cj], fm))
            return 1;
    return 0;
}

/* Adds the clause's stage cues to the deal's, and takes the lead: the first
 * deal clause naming the family, whose count is that of delivery news ("the
 * first 10 K2 tanks arrived ..., months after Poland signed the contracts"). */
static void take_cues_and_lead(const ds_extractor *ex, primary_acc *pa, const clause_view *v)
{
    const clause *c = v->c;
    uint64_t ccues = v->future_exec ? c->cues & ~(BIT(CUE_EXECUTIVE) | BIT(CUE_FIRST) | BIT(CUE_ORDINAL) |
                                                  BIT(CUE_PLANNED) | BIT(CUE_INTENT))
                                    : c->cues;
    /* a clause naming no system, after another family's in its paragraph or
     * before this family is named at all, signs another deal */
    int others = v->shared && !v->own && (named_alone_before(ex, v->ci, pa->fm) == -1 || !named_by(ex, v->ci, pa->fm));
    if (v->dealish && !others)
        pa->cues |= v->own ? ccues : ccues & (BIT(CUE_SIGNED) | BIT(CUE_PLANNED) | BIT(CUE_CEREMONY));
    else if (v->own && (c->cues & BIT(CUE_INTENT)) && clause_has_family(ex, c, pa->fm))
        pa->intent = 1; /* "the UAE plans to buy 12 L-15 jets" */
    for (int k = c->first_item; v->dealish && v->own && k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_CUE && it->cue == CUE_OPTION)
            *(option_held(ex, it) ? &pa->options_held : &pa->options_taken) += 1;
    }
    for (int k = c->first_item; v->dealish && !others && k < c->first_item + c->nitems; k++)
        pa->not_yet |= ex->items[k].type == IT_CUE && ex->items[k].cue == CUE_PLANNED &&
                       cue_lex(&ex->items[k])->val == LEX_NOT_YET; /* "It has not yet been signed" */
    if (!v->dealish || !v->has || pa->lead_seen)
        return;
    pa->lead_seen = 1;
    pa->lead_cues = c->cues;
    pa->lead_clause = c;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        pa->letter_of_intent |= ex->items[k].type == IT_CUE && ex->items[k].cue == CUE_INTENT &&
                                cue_lex(&ex->items[k])->val == LEX_LETTER_OF_INTENT;
        pa->lead_buys |= buys_word(&ex->items[k]);
    }
    pa->lead_buyer = buying_subject(ex, c);
    pa->lead_subject = signing_subject(ex, c);
    pa->forces_subject = forces_subject(ex, c);
    for (int k = c->first_item; k < c->first_item + c->nitems && pa->lead_qty < 0; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_QTY &&
            ((it->target_sys >= 0 && ex->sys_root[it->target_sys] == pa->fm->root) ||
             (it->target_sys < 0 && it->unit && strcmp(it->unit, pa->category) == 0)))
            pa->lead_qty = (int64_t)it->num;
    }
}

/* "24 ex-Danish F-16s": item k of clause c is a country written with "ex-"
 * right before a system of family fm, the state selling its used ones. */
static int second_hand_from(const ds_extractor *ex, const clause *c, int k, const fam *fm)
{
    const item *it = &ex->items[k];
    if (it->start < 3 || memcmp(ex->fold + it->start - 3, "ex-", 3) != 0 || k + 1 >= c->first_item + c->nitems)
        return 0;
    const item *nx = &ex->items[k + 1];
    return nx->type == IT_ENT && nx->ent_kind == DS_ENT_SYSTEM && ex->sys_root[nx->idx] == fm->root &&
           nx->start - it->end <= 1;
}

/* Approval clause c approves a sale abroad ("approving a possible Foreign
 * Military Sale to ..."), not a state's own purchase ("cleared the deal"). */
static int approves_export(const ds_extractor *ex, const clause *c)
{
    return find_in(ex->fold + c->start, (size_t)(c->end - c->start), " sale", 5) != NULL;
}

/* Clause c names a country other than iso3 (as a country, not an authority). */
static int names_other_state(const ds_extractor *ex, const clause *c, const char *iso3)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_COUNTRY &&
            strcmp(ex->cat->countries[it->idx].iso3, iso3) != 0)
            return 1;
    }
    return 0;
}

/* The index of state iso3 among the buyer candidates of *pa, added when
 * new and there is room; 8 when there is none. */
static int candidate(primary_acc *pa, const char *iso3)
{
    int f;
    for (f = 0; f < pa->ncountries; f++)
        if (strcmp(pa->countries[f], iso3) == 0)
            return f;
    if (pa->ncountries == 8)
        return 8;
    pa->countries[pa->ncountries] = iso3;
    return pa->ncountries++;
}

/* "Egypt signed for 30 Rafale jets from France and for 2 FREMM frigates
 * from Italy": item k of clause c, whose subject is another state, is a
 * state written after "from" right behind a system of family fm (only its
 * head noun between): the state that sells it. */
static int sold_from(const ds_extractor *ex, const clause *c, int k, const fam *fm)
{
    const char *f = ex->fold, *iso3;
    const item *it = &ex->items[k];
    if (fm->root < 0 || country_of_item(ex, it, &iso3) != 2)
        return 0;
    int p = it->start, from;
    if (p >= 6 && memcmp(f + p - 6, " from ", 6) == 0)
        from = p - 6;
    else if (p >= 10 && memcmp(f + p - 10, " from the ", 10) == 0)
        from = p - 10;
    else
        return 0;
    /* the buyer is the subject ("Egypt signed ... from Italy"), not the
     * state an order comes from ("receives order for X from Slovenia") */
    const char *subject = signing_subject(ex, c);
    if (!subject)
        subject = buying_subject(ex, c);
    if (!subject || strcmp(subject, iso3) == 0)
        return 0;
    int j = k - 1;
    if (ex->items[j].type == IT_CUE && ex->items[j].cue == CUE_UNIT && ex->items[j].end == from && j > c->first_item)
        from = ex->items[j--].start - 1;
    const item *x = &ex->items[j];
    return x->type == IT_ENT && x->ent_kind == DS_ENT_SYSTEM && ex->sys_root[x->idx] == fm->root && x->end == from;
}

/* Notes the family's system names (variants, root) and the other families of
 * the clause, and scores the countries it names as buyer candidates. */
static void take_names_and_countries(const ds_extractor *ex, primary_acc *pa, clause_view *v)
{
    const clause *c = v->c;
    int direct = -1; /* a deal clause naming the family: computed at its first country */
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM) {
            const ds_system *sy = sys_of(ex, it->idx);
            if (ex->sys_root[it->idx] == pa->fm->root) {
                if (sy->variant_of) {
                    if (pa->variant_idx != it->idx)
                        pa->nvariant_names++;
                    pa->variant_idx = it->idx;
                } else {
                    pa->root_named = 1;
                }
            } else {
                v->families_here++;
            }
        }
        const char *iso3;
        int w = country_of_item(ex, it, &iso3);
        int fms = w && v->has && fms_buyer(ex, it); /* the states of the sales this deal's clauses name */
        if (!w || !(v->dealish || v->has || fms))
            continue;
        if (!pa->resale && v->own && second_hand_from(ex, c, k, pa->fm))
            pa->resale = iso3;
        if (!pa->resale && v->own && sold_from(ex, c, k, pa->fm))
            pa->resale = iso3; /* the state it is bought from sells it */
        /* the authority that approves an export is the seller's, not a buyer */
        if (it->ent_kind == DS_ENT_AUTHORITY && (c->cues & BIT(CUE_APPROVAL)) && v->dealish && approves_export(ex, c) &&
            names_other_state(ex, c, iso3)) {
            if (!pa->approver)
                pa->approver = iso3;
            continue;
        }
        int f = candidate(pa, iso3);
        /* one of several deals: its own sentence names its buyer, the rest of
         * the article only when that sentence names none */
        /* the deal clause that names the system names its buyer ("Poland has
         * ordered Chunmoo launchers" in an article about a Dutch order) */
        if (f < 8) {
            if (direct < 0)
                direct = v->dealish && clause_has_family(ex, c, pa->fm);
            pa->score[f] += w * (fms || (pa->only_sent != -1 && v->own) ? 100 : direct ? 4 : 1);
            pa->authority[f] |= it->ent_kind == DS_ENT_AUTHORITY;
        }
    }
}

/* "and 81 other support vehicles": a counted thing of no system, listed
 * after the deal's own count, is an extra of the deal. */
static void take_extra(ds_extractor *ex, const clause *c, int k, ds_mention *m)
{
    const item *it = &ex->items[k];
    const char *f = ex->fold;
    int k2 = k + 1;
    while (k2 < c->first_item + c->nitems && !(ex->items[k2].type == IT_CUE && ex->items[k2].cue == CUE_UNIT))
        k2++;
    int us = k2 < c->first_item + c->nitems ? ex->items[k2].start : it->end;
    int ue = k2 < c->first_item + c->nitems ? ex->items[k2].end : it->end;
    char what[40];
    size_t wl = (size_t)(ue - us) < sizeof what - 1 ? (size_t)(ue - us) : sizeof what - 1;
    memcpy(what, f + us, wl);
    what[wl] = '\0';
    ds_strlcpy(m->extras[m->nextras].what, what, sizeof m->extras[0].what);
    m->extras[m->nextras++].quantity = (int64_t)it->num;
    set_evidence(ex, m, "extras", c);
}

/* A quantity item k of an own clause: the family's count (of the framework,
 * of the deal, or of one variant), or an extra of the deal. */
static void take_quantity(ds_extractor *ex, primary_acc *pa, const clause_view *v, int k, ds_mention *m)
{
    const clause *c = v->c;
    const item *it = &ex->items[k];
    int mine = (it->target_sys >= 0 && ex->sys_root[it->target_sys] == pa->fm->root) ||
               (it->target_sys < 0 && it->unit && strcmp(it->unit, pa->category) == 0);
    int other_sys = it->target_sys >= 0 && !mine;
    int is_variant = it->target_sys >= 0 && sys_of(ex, it->target_sys)->variant_of;
    int seen_variant = 0;
    for (int i = 0; mine && it->target_sys >= 0 && i < m->nvariants; i++)
        if (strcmp(m->variants[i].system, sys_of(ex, it->target_sys)->id) == 0)
            seen_variant = 1; /* "116 K2GF ... of the 116 K2GF" counts once */
    if (mine && !seen_variant && is_variant && m->nvariants < DS_MAX_VARIANTS) {
        ds_strlcpy(m->variants[m->nvariants].system, sys_of(ex, it->target_sys)->id, sizeof m->variants[0].system);
        m->variants[m->nvariants++].quantity = (int64_t)it->num;
        set_evidence(ex, m, "variants", c);
        pa->var_clause = c;
    }
    int fw_clause = (c->cues & BIT(CUE_FRAMEWORK)) != 0;
    if (mine && !pa->first_qty_kind)
        pa->first_qty_kind = is_variant ? 2 : 1;
    if (mine && fw_clause && pa->fw_qty < 0 && !is_variant) {
        pa->fw_qty = (int64_t)it->num;
        pa->fw_qty_clause = c;
    } else if (mine && !fw_clause &&
               (pa->qty < 0 ||
                (pa->qty_headline && !headline(ex, c) && (v->dealish || (c->cues & BIT(CUE_ANOTHER))))) &&
               !is_variant) {
        /* a headline's count stands until a deal clause of the body, or one
         * that adds to an earlier order ("18 more aircraft"), gives one (an
         * interview's headline may round or misquote; "eight Apaches have
         * been leased" corrects nothing) */
        pa->qty = (int64_t)it->num;
        pa->qty_clause = c;
        pa->qty_headline = headline(ex, c);
    } else if (!mine && !other_sys && it->unit && pa->qty_clause == c && m->nextras < DS_MAX_EXTRAS &&
               strcmp(it->unit, "unit") != 0) {
        take_extra(ex, c, k, m);
    }
}

/* "Hyundai Rotem will build 116 of the new batch of K2s, the remaining 64
 * ... as the K2PL variant": the counts and names of a split between the
 * prime and a local variant. */
static void take_split(const ds_extractor *ex, primary_acc *pa, const clause_view *v, int k)
{
    const clause *c = v->c;
    const item *it = &ex->items[k];
    if (it->type == IT_NUM && !it->used && v->has && pa->split_prime < 0 && it->end + 4 <= c->end &&
        memcmp(ex->fold + it->end, " of ", 4) == 0) {
        pa->split_prime = (int64_t)it->num;
        pa->split_clause = c;
    }
    if (it->type == IT_CUE && it->cue == CUE_LOCALVARIANT)
        pa->local_suffix = lexicon[it->idx].str;
    if (it->type != IT_CUE || it->cue != CUE_REST)
        return;
    pa->local_rest = 1;
    if (k + 1 < c->first_item + c->nitems && ex->items[k + 1].type == IT_NUM && !ex->items[k + 1].used)
        pa->rest_qty = (int64_t)ex->items[k + 1].num;
    for (int k2 = k + 1; k2 < c->first_item + c->nitems; k2++)
        if (ex->items[k2].type == IT_ENT && ex->items[k2].ent_kind == DS_ENT_SYSTEM &&
            sys_of(ex, ex->items[k2].idx)->variant_of && ex->sys_root[ex->items[k2].idx] == pa->fm->root)
            pa->rest_variant = sys_of(ex, ex->items[k2].idx)->id;
}

/* Clause c's first deal noun is definite and singular ("the value of the
 * contract was not announced"): it speaks of a deal named before it. */
static int definite_deal(const ds_extractor *ex, const clause *c)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type != IT_CUE || it->cue != CUE_DEAL)
            continue;
        const char *t = cue_lex(it)->text;
        return t[strlen(t) - 1] != 's' && it->start >= 4 && memcmp(ex->fold + it->start - 4, "the ", 4) == 0;
    }
    return 0;
}

/* The deal a definite deal noun of clause ci speaks of: the last clause
 * before it (in any paragraph below the headline) that names a system and
 * recalls nothing, whose first system is its object ("signed a contract
 * for PULS launchers, ... since it retired its MLRS"). Returns its sentence
 * when that system is of family fm, -1 when it is another's, -2 when there
 * is no such clause. */
static int named_back(const ds_extractor *ex, size_t ci, const fam *fm)
{
    int cj = fm->generic ? -1 : prior_system_clause(ex, ci, 0);
    if (cj < 0)
        return -2;
    const clause *c = &ex->clauses[cj];
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM)
            return ex->sys_root[it->idx] == fm->root ? c->sent : -1;
    }
    return -2;
}

/* Clause c counts this family and also items of another kind ("80 Rafale
 * jets and 12 helicopters ... worth EUR 17 billion"): its sum prices them
 * together. */
static int counts_others(const ds_extractor *ex, const primary_acc *pa, const clause *c)
{
    int mine = 0, others = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type != IT_QTY)
            continue;
        if ((it->target_sys >= 0 && ex->sys_root[it->target_sys] == pa->fm->root) ||
            (it->target_sys < 0 && it->unit && strcmp(it->unit, pa->category) == 0))
            mine = 1;
        else if (it->target_sys >= 0 || (it->unit && strcmp(it->unit, "unit") != 0))
            others = 1;
    }
    return mine && others;
}

/* A sum item k: the deal's value when it sits in a deal clause, or in any
 * clause of the deal that says it is the value ("industry sources put the
 * value at about $6.5 billion"), and belongs to this family. A sum in a
 * clause naming the system beats one in a clause that does not (headlines). */
static void take_money(const ds_extractor *ex, primary_acc *pa, clause_view *v, int k)
{
    const clause *c = v->c;
    const item *it = &ex->items[k];
    /* "- Fighters: 36 F-35A, CHF 6.035 billion": a fact-box row naming this
     * family prices it */
    int row = c->factbox && v->has && clause_has_family(ex, c, pa->fm) && !(c->cues & BIT(CUE_AGGREGATE));
    int value_clause = v->dealish || ((c->cues & BIT(CUE_VALUEWORD)) && !(c->cues & BIT(CUE_AGGREGATE))) ||
                       ((c->cues & BIT(CUE_INVEST)) && (pa->cues & BIT(CUE_JV))) || row;
    /* a sum naming no system, when a deal clause lists this system
     * with others in one contract ("a contract ... for 54 K9 and 36 K10";
     * "the contract, worth just under $1 billion"), is theirs together */
    int joint = !v->own && v->shared && pa->co_listed && pa->nprimary > 1 && pa->only_sent == -1;
    /* "A will deliver 180 X for $3.4bn, while B will supply 212 Y for $2.4bn":
     * a clause about another system's deal prices that deal, not this one */
    if (v->families_here > 0 && !clause_has_family(ex, c, pa->fm))
        return;
    if (v->own_sum < 0) {
        int back = definite_deal(ex, c) ? named_back(ex, v->ci, pa->fm) : -2;
        int named = back != -2 ? back : last_named_alone(ex, v->ci, pa->fm);
        v->own_sum = named >= 0 && (pa->only_sent == -1 || named == pa->only_sent);
        /* "The exercise of the option, worth around EUR 1.1 billion": a sum
         * naming an act (an option exercised, an amendment) is the deal's
         * whose lead reports that act, and no other's */
        const uint64_t acts = BIT(CUE_OPTION) | BIT(CUE_EXERCISE);
        int act = (c->cues & acts) ? 1 : (c->cues & BIT(CUE_AMENDMENT)) ? 2 : 0;
        if (act && !v->dealish && pa->only_sent == -1)
            v->own_sum = act == 1 ? (pa->lead_cues & acts) != 0 : (pa->lead_cues & BIT(CUE_AMENDMENT)) != 0;
        /* "The partners plan to invest more than 1 billion zlotys": what is
         * invested is the venture's whose lead sets it up */
        if (!v->own_sum && !act && (c->cues & BIT(CUE_INVEST)) && (pa->lead_cues & BIT(CUE_JV)) && pa->only_sent == -1)
            v->own_sum = 1;
    }
    /* a sum for this system alone corrects one it shared with other items
     * ("... worth EUR 17 billion. Dassault will deliver the 80 Rafale in a
     * contract worth EUR 16 billion") */
    int others = counts_others(ex, pa, c);
    int corrects = pa->money && pa->money_counts_others && v->has && v->own && !others && pa->money_clause != c;
    /* "In all, the contracts and agreements announced during the visit were
     * presented as worth EUR 12 billion": a sum of several deals naming no
     * system prices none of them alone */
    if (!v->has && !joint && pa->nprimary > 1 && plural_deals(ex, c) && !(c->cues & BIT(CUE_COMBINED)))
        return;
    if (!value_clause || !(v->own_sum || joint) || ((c->cues & BIT(CUE_AGGREGATE)) && !v->has) ||
        (pa->money && (pa->money_has_family || !v->has) && !(pa->money_headline && !headline(ex, c) && v->has) &&
         !corrects) ||
        !money_is_mine(ex, c, k, pa->fm))
        return;
    pa->money_counts_others = others;
    pa->money_headline = headline(ex, c);
    pa->money_has_family = v->has;
    pa->money = it;
    pa->money_clause = c;
    /* "18 K9 worth $400 million and 6 K10 worth $100 million", "... worth
     * $400 million and $2 billion respectively": each family's own sum */
    pa->money_combined = ((c->cues & BIT(CUE_COMBINED)) || v->families_here > 0 || joint) && !sums_per_family(ex, c);
    for (int k2 = k + 1; k2 < c->first_item + c->nitems && k2 <= k + 3; k2++)
        if (ex->items[k2].type == IT_MONEY && strcmp(ex->items[k2].cur, "USD") == 0 && strcmp(it->cur, "USD") != 0)
            pa->usd_money = &ex->items[k2];
}

/* Does item k2 name a batch ("batch", "executive contract", "contract")?
 * Returns 1, 2 for "order", which numbers a batch only from the second on
 * ("the third Estonian K9 order"; a buyer's "first order" is no batch), or 0. */
static int names_batch(const item *n2)
{
    if (n2->type != IT_CUE)
        return 0;
    if (n2->cue == CUE_BATCHWORD || n2->cue == CUE_EXECUTIVE ||
        (n2->cue == CUE_DEAL && strncmp(lexicon[n2->idx].text, "contract", 8) == 0))
        return 1;
    return n2->cue == CUE_DEAL && strcmp(lexicon[n2->idx].text, "order") == 0 ? 2 : 0;
}

/* "The first batch of BrahMos systems arrived": in a clause that delivers,
 * batch word bw followed by "of" numbers a shipment, not a contract ("the
 * 180 tanks in the first batch" still numbers the contract). */
static int delivered_batch_of(const ds_extractor *ex, const clause *c, const item *bw)
{
    return (c->cues & BIT(CUE_DELIVERY)) && bw->end + 4 <= c->end && memcmp(ex->fold + bw->end, " of ", 4) == 0;
}

/* Batch word bw is no "phase", or a phase of a purchase ("the first phase
 * of a planned acquisition of twelve Gripen"), not of a programme ("the
 * first phase of Poland's Wisla air defence programme"). */
static int phase_of_purchase(const ds_extractor *ex, const clause *c, const item *bw)
{
    if (bw->type != IT_CUE || strncmp(cue_lex(bw)->text, "phase", 5) != 0)
        return 1;
    const item *end = &ex->items[c->first_item + c->nitems];
    for (const item *nx = bw + 1; nx < end && nx <= bw + 3 && nx->start - bw->end < 32; nx++)
        if (nx->type == IT_CUE && nx->cue == CUE_DEAL)
            return 1;
    return 0;
}

/* The count right after batch word bw and "of" ("a first tranche of six
 * jets"), else -1. */
static int64_t batch_count(const ds_extractor *ex, const clause *c, const item *bw)
{
    if (bw->end + 4 > c->end || memcmp(ex->fold + bw->end, " of ", 4) != 0)
        return -1;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++)
        if (ex->items[k].start == bw->end + 4 && (ex->items[k].type == IT_QTY || ex->items[k].type == IT_NUM))
            return (int64_t)ex->items[k].num;
    return -1;
}

/* Ordinals and follow-on words of item k: "the second batch", "another 180",
 * "additional K2 tanks", "a further contract", "the first executive
 * agreements" (a clause about all the article's deals numbers each). */
static void take_batch(ds_extractor *ex, primary_acc *pa, const clause_view *v, int k, ds_mention *m)
{
    const clause *c = v->c;
    const item *it = &ex->items[k];
    if (!v->dealish || (it->type != IT_CUE && it->type != IT_NUM))
        return;
    /* "the 2nd executive contract": a figure with an ordinal's suffix */
    int figure = it->type == IT_NUM && v->own && it->num >= 1 && it->num <= 20 && it->end + 3 <= c->end &&
                 ordinal_suffix(ex->fold + it->end);
    if (it->type == IT_NUM && !figure)
        return;
    int end = c->first_item + c->nitems;
    if ((figure || it->cue == CUE_ORDINAL) && v->own && !v->future_exec) {
        /* a figure numbers the noun right after it ("the 2nd executive
         * contract", not "the 1st Army Aviation Brigade ... a contract") */
        for (int k2 = k + 1; k2 < end && k2 <= (figure ? k + 1 : k + 4); k2++) {
            int nb = names_batch(&ex->items[k2]);
            if (figure && ex->items[k2].start - it->end > 3)
                break;
            if ((nb == 2 && it->num < 2) || (nb && delivered_batch_of(ex, c, &ex->items[k2])) ||
                (nb && !phase_of_purchase(ex, c, &ex->items[k2])))
                break;
            if (nb) {
                if (!pa->batch) {
                    pa->batch = (int)it->num;
                    pa->batch_qty = batch_count(ex, c, &ex->items[k2]);
                }
                set_evidence(ex, m, "batch", c);
                break;
            }
        }
    }
    /* "12 more": a next batch, unless an option of the contract is exercised */
    if (it->cue == CUE_ANOTHER && v->own && k > c->first_item && !(c->cues & (BIT(CUE_OPTION) | BIT(CUE_EXERCISE))) &&
        (ex->items[k - 1].type == IT_QTY || ex->items[k - 1].type == IT_NUM) && it->start - ex->items[k - 1].end <= 1)
        pa->another = 1;
    if (it->cue == CUE_ANOTHER && v->own && k + 1 < end && it->num != LEX_MORE) {
        const item *nx = &ex->items[k + 1];
        if (nx->start - it->end <= 12 &&
            (nx->type == IT_QTY || nx->type == IT_NUM || (nx->type == IT_ENT && nx->ent_kind == DS_ENT_SYSTEM) ||
             (nx->type == IT_CUE && (nx->cue == CUE_BATCHWORD || nx->cue == CUE_DEAL || nx->cue == CUE_EXECUTIVE))))
            pa->another = 1;
    }
    /* "a follow-on contract", "the follow-up order": the next batch of an earlier deal */
    if (it->cue == CUE_EXECUTIVE && v->own && !v->future_exec && strncmp(cue_lex(it)->text, "follow-", 7) == 0)
        pa->another = 1;
    if (it->cue == CUE_FIRST && (v->own || (v->shared && plural_deals(ex, c))) && !pa->batch && !v->future_exec &&
        !delivered_batch_of(ex, c, it)) {
        pa->batch = 1;
        pa->batch_qty = batch_count(ex, c, it);
    }
}

/* The day before or on the article's of weekday item wd. */
static int32_t weekday_back(int32_t pubday, const item *wd)
{
    return pubday - (ds_weekday(pubday) - (int)wd->num + 7) % 7;
}

/* An earlier clause of c's sentence reports a signing (not a planned one). */
static int sentence_signs(const ds_extractor *ex, const clause *c)
{
    for (const clause *b = &ex->clauses[ex->sents[c->sent].c0]; b < c; b++)
        if (!b->context && (b->cues & BIT(CUE_SIGNED)) && !(b->cues & BIT(CUE_PLANNED)) && clause_is_deal(b))
            return 1;
    return 0;
}

/* Weekday item k of a clause ending at item end is followed by a date
 * ("Tuesday, March 3", "Tuesday 3 March"). */
static int date_follows(const ds_extractor *ex, int k, int end)
{
    int j = k + 1;
    if (j < end && ex->items[j].type == IT_CUE && ex->items[j].cue == CUE_MONTH && ex->items[j].start - ex->items[k].end <= 2)
        j++;
    return j < end && ex->items[j].type == IT_DATE && ex->items[j].start - ex->items[j - 1].end <= 2;
}

/* The signing of a deal clause c dated by item k: "the contracts signed in
 * August" (a year, when no day is given), "the Aug. 1 deal" (a past date
 * naming the deal itself), a date, weekday, "today" or "yesterday" in a
 * clause that signs, approves or selects. */
static void take_signing_date(const ds_extractor *ex, primary_acc *pa, const clause *c, int k)
{
    const item *it = &ex->items[k];
    int32_t pubday = pa->pubday;
    int end = c->first_item + c->nitems;
    if ((c->cues & BIT(CUE_PLANNED)))
        return;
    if (it->type == IT_DATE && headline(ex, c) && pa->headline_day == DS_NO_DATE && pubday != DS_NO_DATE &&
        it->date <= pubday && it->date > pubday - 31) {
        pa->headline_day = it->date;
        pa->headline_clause = c;
    }
    if ((c->cues & BIT(CUE_SIGNED)) && !pa->sign_year) {
        if (it->type == IT_YEAR && (pa->pubyear == 0 || it->num <= pa->pubyear))
            pa->sign_year = (int)it->num;
        else if (it->type == IT_CUE && it->cue == CUE_MONTH && pa->pubyear &&
                 !(k + 1 < end && ex->items[k + 1].type == IT_DATE))
            pa->sign_year = (int)it->num > pa->pubmonth ? pa->pubyear - 1 : pa->pubyear;
    }
    if (pa->signing != DS_NO_DATE)
        return;
    if (!(c->cues & signing_cues) && sentence_signs(ex, c)) {
        /* "signed a third executive contract under the Homar-K programme on
         * Monday, ordering ...": the day sits in a later clause */
        if (it->type == IT_DATE)
            pa->signing = it->date;
        else if (it->type == IT_CUE && it->cue == CUE_WEEKDAY && pubday != DS_NO_DATE && !dates_the_saying(ex, it))
            pa->signing = weekday_back(pubday, it);
        if (pa->signing != DS_NO_DATE)
            pa->date_clause = c;
        return;
    }
    if (!(c->cues & signing_cues)) {
        if (pa->deal_day == DS_NO_DATE && (c->cues & BIT(CUE_DEAL)) && pubday != DS_NO_DATE &&
            ((it->type == IT_CUE && it->cue == CUE_WEEKDAY) || (it->type == IT_DATE && it->date <= pubday)) &&
            !dates_the_saying(ex, it)) {
            pa->deal_day = it->type == IT_DATE ? it->date : weekday_back(pubday, it);
            pa->deal_day_clause = c;
        }
        if (it->type == IT_DATE && pubday != DS_NO_DATE && it->date <= pubday && k + 1 < end &&
            ex->items[k + 1].type == IT_CUE &&
            (ex->items[k + 1].cue == CUE_DEAL || ex->items[k + 1].cue == CUE_EXECUTIVE) &&
            ex->items[k + 1].start - it->end <= 2) {
            pa->signing = it->date;
            pa->date_clause = c;
        }
        return;
    }
    if (it->type == IT_DATE && !dates_the_saying(ex, it)) {
        pa->signing = it->date; /* "X said on the 30th that it had signed" dates the report */
    } else if (it->type == IT_CUE && it->cue == CUE_WEEKDAY && pubday != DS_NO_DATE && !dates_the_saying(ex, it) &&
               !date_follows(ex, k, end)) {
        /* "on Tuesday, March 3": the date that follows names the day */
        pa->signing = weekday_back(pubday, it); /* "X said Thursday it has signed" dates the report */
    } else if (it->type == IT_CUE && it->cue == CUE_TODAY && pubday != DS_NO_DATE) {
        pa->signing = pubday;
    } else if (it->type == IT_CUE && it->cue == CUE_YESTERDAY && pubday != DS_NO_DATE) {
        pa->signing = pubday - 1;
    }
    if (pa->signing != DS_NO_DATE)
        pa->date_clause = c;
}

/* The year a planned signing of clause c falls in when the clause names
 * its period only ("next week", "later this month", "next month", "by the
 * end of the year", "next year"); 0 when it names none. */
static int planned_period_year(const ds_extractor *ex, const clause *c, int pubyear, int pubmonth)
{
    static const struct { const char *s; int month_ahead, year_ahead; } periods[] = {
        {" this week", 0, 0}, {" next week", 0, 0}, {" this month", 0, 0}, {" end of the month", 0, 0},
        {" next month", 1, 0}, {" this year", 0, 0},
        {" end of the year", 0, 0}, {" year-end", 0, 0}, {" next year", 0, 1}};
    if (!pubyear || !(c->cues & BIT(CUE_PLANNED)))
        return 0;
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++) {
        size_t n = strlen(periods[i].s);
        if (c->end - c->start >= (int)n && memmem(ex->fold + c->start, (size_t)(c->end - c->start), periods[i].s, n))
            return pubyear + periods[i].year_ahead + (periods[i].month_ahead && pubmonth == 12);
    }
    return 0;
}

/* Dates of item k: the planned day ("will sign on Friday": the next such
 * day), the day of the report ("X said Thursday it has signed"), the year
 * or day of the signing, "today", "yesterday". */
static void take_dates(const ds_extractor *ex, primary_acc *pa, const clause_view *v, int k)
{
    const clause *c = v->c;
    const item *it = &ex->items[k];
    int32_t pubday = pa->pubday;
    if (!v->dealish && sentence_signs(ex, c)) {
        take_signing_date(ex, pa, c, k); /* "signed ... under the X programme on Monday" */
        return;
    }
    if (!v->dealish && !((c->cues & BIT(CUE_DEAL)) && (c->cues & BIT(CUE_INTENT)) && (v->has || v->shared)))
        return;
    int weekday = it->type == IT_CUE && it->cue == CUE_WEEKDAY;
    if (!v->dealish) {
        /* "the government said on Thursday it would acquire 129": the day a
         * decision was made known, which dates a selection or approval; "the
         * company said on Tuesday the contract was valued at ... and would be
         * performed over five years": the day of the report, which dates a
         * signing nothing else dates */
        if (pa->said_will == DS_NO_DATE && weekday && pubday != DS_NO_DATE && dates_the_saying(ex, it)) {
            pa->said_will = weekday_back(pubday, it);
            pa->said_will_clause = c;
            if (v->shared && !v->has && pa->said == DS_NO_DATE && !(c->cues & BIT(CUE_PLANNED))) {
                pa->said = pa->said_will;
                pa->said_clause = c;
            }
        }
        return;
    }
    if (k == c->first_item && !pa->planned_year)
        pa->planned_year = planned_period_year(ex, c, pa->pubyear, pa->pubmonth);
    if ((c->cues & BIT(CUE_PLANNED)) && pa->planned == DS_NO_DATE && pubday != DS_NO_DATE) {
        if (it->type == IT_DATE && it->date >= pubday) {
            pa->planned = it->date;
            pa->planned_clause = c;
        } else if (weekday && !dates_the_saying(ex, it)) {
            pa->planned = pubday + ((int)it->num - ds_weekday(pubday) + 7) % 7;
            pa->planned_clause = c;
        }
    }
    if (!(c->cues & BIT(CUE_PLANNED)) && pa->said == DS_NO_DATE && pubday != DS_NO_DATE &&
        (weekday || (it->type == IT_DATE && it->date <= pubday)) && dates_the_saying(ex, it)) {
        /* the day of the report dates the deal when nothing else does ("X said
         * Thursday it has signed", "X announced on the 6th that it has
         * concluded", "Australia will buy ..., the government said on Monday") */
        pa->said = weekday ? weekday_back(pubday, it) : it->date;
        pa->said_clause = c;
    }
    take_signing_date(ex, pa, c, k);
}

/* "HAL on Friday signed a contract with US-based GE Aerospace for ...":
 * company item k of clause c is the subject of a signing verb (only its
 * other names and the day between them) whose counterparty, after "with",
 * is another company: k buys, the other supplies. */
static int signs_with_company(const ds_extractor *ex, const clause *c, int k)
{
    const char *f = ex->fold;
    const item *co = &ex->items[k];
    int end = c->first_item + c->nitems, j = k + 1;
    while (j < end && ((ex->items[j].type == IT_ENT && ex->items[j].ent_kind == DS_ENT_COMPANY &&
                        ex->items[j].idx == co->idx) ||
                       (ex->items[j].type == IT_CUE &&
                        (ex->items[j].cue == CUE_WEEKDAY || ex->items[j].cue == CUE_TODAY ||
                         ex->items[j].cue == CUE_YESTERDAY))))
        j++;
    if (j >= end || ex->items[j].type != IT_CUE || ex->items[j].cue != CUE_SIGNED)
        return 0;
    int from = ex->items[j].end;
    for (int q = j + 1; q < end && q <= j + 4; q++) {
        const item *it = &ex->items[q];
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_COMPANY)
            return it->idx != co->idx && it->start - from < 48 &&
                   find_in(f + from, (size_t)(it->start - from), " with ", 6) != NULL;
        if (it->type != IT_ENT && !(it->type == IT_CUE && it->cue == CUE_DEAL))
            return 0;
    }
    return 0;
}

/* A company item k of an own clause: a supplier (under its name of the
 * article's year), whose country is the seller when no origin is known;
 * or the buyer's side when it signs with another company. */
static void take_supplier(const ds_extractor *ex, primary_acc *pa, const clause *c, int k, ds_mention *m)
{
    const ds_catalog *cat = ex->cat;
    const ds_company *co = &cat->companies[ex->items[k].idx];
    if (signs_with_company(ex, c, k)) {
        if (!pa->customer)
            pa->customer = co->country;
        return;
    }
    const ds_company *use = co;
    if (co->renamed_to && pa->pubyear > co->renamed_year) {
        const ds_company *rn = ds_catalog_company(cat, co->renamed_to);
        if (rn)
            use = rn;
    }
    ds_supplier_role role = DS_SUP_PRIME;
    if (use->role && strcmp(use->role, "joint_venture") == 0)
        role = DS_SUP_JOINT_VENTURE;
    add_supplier(m, use->id, role); /* roles refined once buyer is known */
    if (!pa->seller && role == DS_SUP_PRIME)
        pa->seller = use->country;
    set_evidence(ex, m, "suppliers", c);
}

/* "Lithuania signed on Wednesday for X, while Spain placed an order on
 * Thursday for Y": a deal owning one clause of its sentence is not dated by
 * the sentence's other clauses, which date their own deals. */
static int other_clause_of_own_sentence(const ds_extractor *ex, const primary_acc *pa, const clause_view *v)
{
    if (pa->only_sent > -2 || v->own)
        return 0;
    return v->c->sent == ex->clauses[-pa->only_sent - 2].sent;
}

/* "The contract covers 20 launchers": a deal clause naming no system, in
 * an article of several deals, counts the deal named alone just before it
 * in its paragraph (or, for "the contract", the last one named); never
 * one named only after it ("with the Dutch ordering five aircraft. ...
 * Separately, the Czech Republic ordered two C-390s"). */
static int shared_clause_is_mine(const ds_extractor *ex, const primary_acc *pa, size_t ci)
{
    const clause *c = &ex->clauses[ci];
    int named = definite_deal(ex, c) ? named_back(ex, ci, pa->fm) : named_alone_before(ex, ci, pa->fm);
    return named >= 0 && (pa->only_sent == -1 || named == pa->only_sent);
}

/* "agreed to buy 80 Rafale jets and 12 military helicopters from France":
 * deal clause c names other systems and counts units of the deal's kind by
 * their head noun alone; that counted item is this deal, listed with the
 * others under one verb, so the clause's parties are its parties. */
static int lists_family_by_kind(const ds_extractor *ex, const primary_acc *pa, const clause *c)
{
    if (c->context || !pa->category || !clause_is_deal(c) || clause_has_family(ex, c, pa->fm))
        return 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_QTY && it->target_sys < 0 && it->unit && strcmp(it->unit, pa->category) == 0)
            return 1;
    }
    return 0;
}

/* The states clause c names score for the buyer of a deal it lists by kind
 * (lists_family_by_kind) as a clause naming the family would. */
static void take_listed_parties(const ds_extractor *ex, primary_acc *pa, const clause *c)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const char *iso3;
        int w = country_of_item(ex, &ex->items[k], &iso3);
        if (!w)
            continue;
        int f = candidate(pa, iso3);
        if (f < 8)
            pa->score[f] += w * 4;
    }
}

/* Takes what clause ci says of the deal into *pa and m. */
static void gather_clause(ds_extractor *ex, const char *orig, primary_acc *pa, size_t ci, ds_mention *m)
{
    clause_view v;
    if (!view_clause(ex, pa, ci, &v)) {
        if (lists_family_by_kind(ex, pa, &ex->clauses[ci]))
            take_listed_parties(ex, pa, &ex->clauses[ci]);
        return;
    }
    const clause *c = v.c;
    take_cues_and_lead(ex, pa, &v);
    take_names_and_countries(ex, pa, &v);
    int shared_count = !v.own && v.shared && v.dealish && shared_clause_is_mine(ex, pa, ci);
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_QTY && (v.own || (shared_count && it->target_sys < 0)))
            take_quantity(ex, pa, &v, k, m);
        take_split(ex, pa, &v, k);
        if (it->type == IT_MONEY)
            take_money(ex, pa, &v, k);
        take_batch(ex, pa, &v, k, m);
        if (!other_clause_of_own_sentence(ex, pa, &v))
            take_dates(ex, pa, &v, k);
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_COMPANY && v.own)
            take_supplier(ex, pa, c, k, m);
    }
    if (!pa->place_clause && v.dealish && (c->cues & (BIT(CUE_SIGNED) | BIT(CUE_CEREMONY))) &&
        !(c->cues & BIT(CUE_PLANNED)) && find_place(ex, orig, c, m->place, sizeof m->place))
        pa->place_clause = c;
}

/* When no clause of the deal names its buyer: the first country of the
 * headline (the text before the first blank line) that is not seller.
 * Returns its ISO3 or NULL. */
static const char *headline_buyer(const ds_extractor *ex, const char *seller)
{
    const char *gap = strstr(ex->fold, "\n\n");
    int end = gap ? (int)(gap - ex->fold) : 0;
    for (size_t k = 0; k < ex->nitems && ex->items[k].start < end; k++) {
        const char *iso3;
        if (country_of_item(ex, &ex->items[k], &iso3) && (!seller || strcmp(iso3, seller) != 0))
            return iso3;
    }
    return NULL;
}

/* The article names a state other than iso3 (an adjective counts). */
static int names_foreign_state(const ds_extractor *ex, const char *iso3)
{
    for (size_t k = 0; k < ex->nitems; k++) {
        const char *who;
        if (country_of_item(ex, &ex->items[k], &who) && strcmp(who, iso3) != 0)
            return 1;
    }
    return 0;
}

/* The state of a company that signs with its supplier (pa->customer)
 * scores as a country named by the deal's own clause. */
static void take_customer(primary_acc *pa)
{
    if (!pa->customer || (pa->seller && strcmp(pa->customer, pa->seller) == 0))
        return;
    int f = candidate(pa, pa->customer);
    if (f < 8)
        pa->score[f] += 8;
}

/* Buyer: the best-scored country that is not the seller (with no origin
 * known, "Poland and South Korea": the first named buys), or the seller's
 * own country when no other is a party and one of its authorities or
 * forces is named (a state buying from its own industry); then the
 * supplier roles, keeping only suppliers of the two sides. */
static void settle_parties(const ds_extractor *ex, primary_acc *pa, ds_mention *m)
{
    const ds_catalog *cat = ex->cat;
    int best = -1;
    if (ex->debug)
        for (int f = 0; f < pa->ncountries; f++)
            fprintf(stderr, "  party %s %s score %d\n", m->family, pa->countries[f], pa->score[f]);
    if (pa->resale)
        pa->seller = pa->resale;
    else if (pa->approver)
        pa->seller = pa->approver;
    take_customer(pa);
    for (int f = 0; f < pa->ncountries; f++) {
        if (pa->seller && strcmp(pa->countries[f], pa->seller) == 0)
            continue;
        if (best < 0 || pa->score[f] > pa->score[best])
            best = f;
    }
    if (!pa->seller && pa->ncountries >= 2) {
        best = 0;
        pa->seller = pa->countries[1];
    }
    /* a state buying from its own industry: no other country is a party, and
     * one of the seller country's own authorities or forces is named */
    for (int f = 0; best < 0 && pa->seller && f < pa->ncountries; f++)
        if (pa->authority[f] && strcmp(pa->countries[f], pa->seller) == 0)
            best = f;
    /* or the lead says the seller's own state buys ("Germany will buy four more") */
    for (int f = 0; pa->lead_buyer && pa->seller && strcmp(pa->lead_buyer, pa->seller) == 0 && f < pa->ncountries; f++)
        if (strcmp(pa->countries[f], pa->seller) == 0)
            best = f;
    /* or, with no other state a party, the lead's trigger has the seller's
     * state as its subject ("Finland has exercised the option ... with
     * Patria") */
    for (int f = 0; best < 0 && pa->lead_subject && pa->seller && strcmp(pa->lead_subject, pa->seller) == 0 &&
                    f < pa->ncountries; f++)
        if (strcmp(pa->countries[f], pa->seller) == 0)
            best = f;
    const char *headed = best < 0 ? headline_buyer(ex, pa->seller) : NULL;
    if (best >= 0)
        ds_strlcpy(m->buyer, pa->countries[best], sizeof m->buyer);
    else if (headed) /* "Umowa na abramsy podpisana. Polska armia dostanie 250 czołgów" */
        ds_strlcpy(m->buyer, headed, sizeof m->buyer);
    else if (pa->forces_subject && pa->seller && !names_foreign_state(ex, pa->seller))
        ds_strlcpy(m->buyer, pa->seller, sizeof m->buyer); /* its own ministry buys from its own industry */
    if (pa->seller)
        ds_strlcpy(m->seller, pa->seller, sizeof m->seller);
    for (int i = 0; i < m->nsuppliers; i++) {
        const ds_company *co = ds_catalog_company(cat, m->suppliers[i].company);
        if (co && m->suppliers[i].role == DS_SUP_PRIME && m->buyer[0] && strcmp(co->country, m->buyer) == 0)
            m->suppliers[i].role = DS_SUP_LOCAL_PRODUCER;
    }
    int ns = 0;
    for (int i = 0; i < m->nsuppliers; i++) {
        const ds_company *co = ds_catalog_company(cat, m->suppliers[i].company);
        if (co && ((m->buyer[0] && strcmp(co->country, m->buyer) == 0) ||
                   (m->seller[0] && strcmp(co->country, m->seller) == 0) || m->suppliers[i].role == DS_SUP_JOINT_VENTURE))
            m->suppliers[ns++] = m->suppliers[i];
    }
    m->nsuppliers = ns;
}

/* "X will build 116 ..., the rest will be a Polish variant": the prime's
 * share and the local variant's as two variants. */
static void settle_split(const ds_extractor *ex, const primary_acc *pa, ds_mention *m)
{
    const ds_system *root = pa->root;
    if (!(pa->split_prime > 0 && m->quantity > pa->split_prime && m->nvariants == 0 && root))
        return;
    ds_strlcpy(m->variants[0].system, root->id, sizeof m->variants[0].system);
    m->variants[0].quantity = pa->split_prime;
    m->nvariants = 1;
    char vid[24] = "";
    if (pa->local_rest && pa->rest_variant)
        ds_strlcpy(vid, pa->rest_variant, sizeof vid);
    else if (pa->local_rest && pa->local_suffix)
        snprintf(vid, sizeof vid, "%s%s", root->id, pa->local_suffix);
    if (vid[0] && ds_catalog_system(ex->cat, vid)) {
        ds_strlcpy(m->variants[1].system, vid, sizeof m->variants[1].system);
        m->variants[1].quantity = pa->rest_qty > 0 ? pa->rest_qty : m->quantity - pa->split_prime;
        m->nvariants = 2;
    }
}

/* System: the one variant named, else the family. Quantity: the
 * framework's for a framework, else the deal's count, else the sum of its
 * variants' ("12 FA-50GF and 36 FA-50PL"). */
/* "According to industry sources, Saudi Arabia will receive 10 batteries":
 * for a deal no clause counts, a clause naming no system that says its
 * buyer will receive a count of its kind gives the count. */
static void buyer_will_receive(const ds_extractor *ex, primary_acc *pa, const char *buyer)
{
    static const char *const verbs[] = {" will receive ", " will get ", " is to receive ", " are to receive "};
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        if (c->context || !c->has_qty || clause_names_system(ex, c))
            continue;
        int verb = 0;
        for (size_t v = 0; v < sizeof verbs / sizeof verbs[0] && !verb; v++)
            verb = memmem(ex->fold + c->start, (size_t)(c->end - c->start), verbs[v], strlen(verbs[v])) != NULL;
        const item *count = NULL;
        int names_buyer = 0, counts = 0;
        for (int k = c->first_item; verb && k < c->first_item + c->nitems; k++) {
            const item *it = &ex->items[k];
            const char *iso3;
            if (country_of_item(ex, it, &iso3) == 2 && strcmp(iso3, buyer) == 0)
                names_buyer = 1;
            if (it->type != IT_QTY)
                continue;
            counts++;
            if (it->unit && strcmp(it->unit, pa->category) == 0)
                count = it;
        }
        if (names_buyer && count && counts == 1) {
            pa->qty = (int64_t)count->num;
            pa->qty_clause = c;
            return;
        }
    }
}

/* "The agency did not disclose the number of guns, but industry sources
 * put it at 216": a sentence naming no other system that speaks of "the
 * number of" units of the deal's kind and puts a bare figure "at" a value
 * gives the count. */
static void number_put_at(const ds_extractor *ex, primary_acc *pa)
{
    const char *f = ex->fold;
    for (size_t si = 0; si < ex->nsents; si++) {
        const sentence *st = &ex->sents[si];
        int asked = 0, other = 0;
        for (int ci = st->c0; ci < st->c1 && !other; ci++) {
            const clause *c = &ex->clauses[ci];
            for (int k = c->first_item; k < c->first_item + c->nitems && !other; k++) {
                const item *it = &ex->items[k];
                if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM && ex->sys_root[it->idx] != pa->fm->root)
                    other = 1; /* another system's count */
                if (it->type == IT_CUE && it->cue == CUE_UNIT && strcmp(lexicon[it->idx].str, pa->category) == 0 &&
                    it->start >= 10 && memcmp(f + it->start - 10, "number of ", 10) == 0)
                    asked = 1;
                if (asked && it->type == IT_NUM && !it->used && it->num >= 1 && it->num < 1e5 &&
                    it->num == floor(it->num) && it->start >= 4 && memcmp(f + it->start - 4, " at ", 4) == 0) {
                    pa->qty = (int64_t)it->num;
                    pa->qty_clause = c;
                    return;
                }
            }
        }
    }
}

static void settle_system_quantity(const ds_extractor *ex, primary_acc *pa, ds_mention *m)
{
    if (pa->root) {
        const char *sys = (pa->nvariant_names == 1 && !pa->root_named && pa->variant_idx >= 0)
                              ? sys_of(ex, pa->variant_idx)->id
                              : pa->root->id;
        ds_strlcpy(m->system, sys, sizeof m->system);
    }
    set_category(ex, pa->fm, m);
    /* "four additional K9 VIDAR howitzers, bringing the fleet to 28 guns" */
    if (pa->first_qty_kind == 2 && m->nvariants > 0)
        pa->qty = -1;
    pa->is_fw = (pa->cues & BIT(CUE_FRAMEWORK)) && !(pa->cues & BIT(CUE_EXECUTIVE)) && !pa->batch && !pa->another;
    if (pa->is_fw && pa->fw_qty >= 0) {
        pa->qty = pa->fw_qty;
        pa->qty_clause = pa->fw_qty_clause;
    }
    if (pa->qty < 0 && m->nvariants == 0 && m->buyer[0])
        buyer_will_receive(ex, pa, m->buyer);
    if (pa->qty < 0 && m->nvariants == 0)
        number_put_at(ex, pa);
    if (pa->qty >= 0) {
        m->quantity = pa->qty;
        set_evidence(ex, m, "quantity", pa->qty_clause);
    } else if (m->nvariants > 0) {
        int64_t sum = 0;
        for (int i = 0; i < m->nvariants; i++)
            sum += m->variants[i].quantity;
        m->quantity = sum;
        set_evidence(ex, m, "quantity", pa->var_clause);
    }
    if (m->nvariants == 1 && strcmp(m->variants[0].system, m->system) == 0)
        m->nvariants = 0; /* one variant is just the system */
    settle_split(ex, pa, m);
}

/* The stage from the deal's cues and its lead's. */
static ds_stage primary_stage(const primary_acc *pa, const ds_mention *m)
{
    uint64_t cues = pa->cues, lead_cues = pa->lead_cues;
    /* the news of the lead: a contract cancelled, amended, or a memorandum */
    if (lead_cues & BIT(CUE_CANCEL))
        return DS_STAGE_CANCELLATION;
    /* "This modification exercises an option for four P-8A": the option, in
     * the lead or in a clause of the deal after it */
    if ((lead_cues & BIT(CUE_AMENDMENT)) && (cues & BIT(CUE_EXERCISE)))
        return DS_STAGE_OPTION;
    if ((lead_cues & BIT(CUE_AMENDMENT)) && !(lead_cues & BIT(CUE_OPTION)))
        return DS_STAGE_AMENDMENT;
    if ((lead_cues & BIT(CUE_MEMORANDUM)) &&
        !(lead_cues & (BIT(CUE_EXECUTIVE) | BIT(CUE_FRAMEWORK) | BIT(CUE_JV) | BIT(CUE_LOA))))
        return DS_STAGE_MEMORANDUM;
    if ((lead_cues & BIT(CUE_DELIVERY)) && !(lead_cues & (BIT(CUE_PLANNED) | BIT(CUE_OPTION) | BIT(CUE_SIGNED))))
        return DS_STAGE_DELIVERY;
    /* "signed a letter of intent for the purchase of 490 VBCI": an intent */
    if (pa->letter_of_intent && !(lead_cues & (BIT(CUE_EXECUTIVE) | BIT(CUE_FRAMEWORK) | BIT(CUE_LOA) | BIT(CUE_OPTION) |
                                               BIT(CUE_EXERCISE) | BIT(CUE_APPROVAL) | BIT(CUE_MEMORANDUM))))
        return DS_STAGE_INTENT;
    /* "Australia has selected the AS21": a lead that selects, with a signing
     * recalled or expected elsewhere in the article */
    if ((lead_cues & BIT(CUE_SELECTION)) && !(lead_cues & (BIT(CUE_SIGNED) | BIT(CUE_EXERCISE) | BIT(CUE_APPROVAL))))
        return DS_STAGE_SELECTION;
    /* an option exercised or bought; one a contract only grants leaves it a contract */
    if ((cues & BIT(CUE_OPTION)) && ((cues & BIT(CUE_EXERCISE)) || ((cues & BIT(CUE_SIGNED)) && pa->options_taken) ||
                                     ((cues & BIT(CUE_SIGNED)) && !pa->options_held)))
        return DS_STAGE_OPTION;
    if ((cues & BIT(CUE_JV)) && m->quantity < 0 && !pa->lead_buys &&
        ((lead_cues & BIT(CUE_JV)) || !(cues & BIT(CUE_FRAMEWORK) || (lead_cues & BIT(CUE_SIGNED)))))
        return DS_STAGE_JOINT_VENTURE; /* a purchase that brings local production stays a purchase */
    if (cues & BIT(CUE_LOA))
        return DS_STAGE_LOA;
    if (pa->is_fw)
        return DS_STAGE_FRAMEWORK;
    /* an approval recalled elsewhere ("Washington cleared the sale a year
     * ago") does not undo a signing the article dates in a clause of its own */
    const clause *dc = pa->signing != DS_NO_DATE ? pa->date_clause : NULL;
    int dated_signing = dc && (dc->cues & BIT(CUE_SIGNED)) && !(dc->cues & (BIT(CUE_APPROVAL) | BIT(CUE_PLANNED)));
    if ((cues & BIT(CUE_APPROVAL)) && !dated_signing)
        return DS_STAGE_APPROVAL;
    if ((cues & BIT(CUE_SELECTION)) && !(cues & BIT(CUE_SIGNED)))
        return DS_STAGE_SELECTION;
    if ((cues & BIT(CUE_DELIVERY)) && (!(cues & (BIT(CUE_SIGNED) | BIT(CUE_PLANNED) | BIT(CUE_CEREMONY))) ||
                                       ((lead_cues & BIT(CUE_DELIVERY)) && !(lead_cues & BIT(CUE_PLANNED)))))
        return DS_STAGE_DELIVERY;
    /* "plans to buy 12 L-15 jets", with nothing signed, planned or delivered */
    if (((cues & BIT(CUE_INTENT)) || pa->intent) && !(cues & (BIT(CUE_SIGNED) | BIT(CUE_EXERCISE) | BIT(CUE_PLANNED) |
                                              BIT(CUE_CEREMONY) | BIT(CUE_DELIVERY))))
        return DS_STAGE_INTENT;
    return DS_STAGE_EXECUTIVE;
}

/* Stage and status; delivery news counts what was delivered. */
static void settle_stage_status(const primary_acc *pa, ds_mention *m)
{
    uint64_t cues = pa->cues;
    ds_stage stage = primary_stage(pa, m);
    m->stage = stage;
    if (stage == DS_STAGE_DELIVERY && pa->lead_qty >= 0) {
        m->quantity = pa->lead_qty; /* the delivery's count, not the contract's */
        m->nvariants = 0;
        /* "the first 12 of 48 K9 howitzers ... were delivered": the 12 */
        if (pa->split_prime > 0 && pa->split_prime < pa->lead_qty && pa->split_clause == pa->lead_clause)
            m->quantity = pa->split_prime;
    }
    if (stage == DS_STAGE_DELIVERY)
        m->status = DS_STATUS_DELIVERED;
    else if (stage == DS_STAGE_CANCELLATION)
        m->status = DS_STATUS_CANCELLED;
    else if (stage == DS_STAGE_APPROVAL)
        m->status = DS_STATUS_APPROVED; /* a ceiling, never a signing */
    else if (stage == DS_STAGE_SELECTION || stage == DS_STAGE_INTENT || pa->not_yet)
        m->status = DS_STATUS_PLANNED;
    else if (cues & (BIT(CUE_SIGNED) | BIT(CUE_EXERCISE)))
        m->status = DS_STATUS_SIGNED;
    else if (cues & (BIT(CUE_PLANNED) | BIT(CUE_CEREMONY)))
        m->status = DS_STATUS_PLANNED;
    else
        m->status = DS_STATUS_SIGNED;
}

/* "signed the third executive contract under the Homar-K framework
 * agreement in Warsaw on Monday": the day of a signing can sit in the
 * framework clause that follows it in its sentence (a recalled framework
 * is not dated by a weekday). */
static void date_from_framework_clause(const ds_extractor *ex, primary_acc *pa)
{
    int32_t pubday = pa->pubday;
    for (size_t cj = 1; pa->signing == DS_NO_DATE && pubday != DS_NO_DATE && cj < ex->nclauses; cj++) {
        const clause *cc = &ex->clauses[cj], *prev = &ex->clauses[cj - 1];
        if (!cc->context || !(cc->cues & BIT(CUE_FRAMEWORK)) || prev->sent != cc->sent || prev->context ||
            !clause_is_deal(prev) || !(prev->cues & BIT(CUE_SIGNED)) || (prev->cues & BIT(CUE_PLANNED)) ||
            !(clause_has_family(ex, prev, pa->fm) || clause_has_family(ex, cc, pa->fm)))
            continue;
        for (int k = cc->first_item; k < cc->first_item + cc->nitems && pa->signing == DS_NO_DATE; k++) {
            const item *it = &ex->items[k];
            if (it->type != IT_CUE)
                continue;
            if (it->cue == CUE_WEEKDAY && !dates_the_saying(ex, it))
                pa->signing = weekday_back(pubday, it);
            else if (it->cue == CUE_TODAY)
                pa->signing = pubday;
            else if (it->cue == CUE_YESTERDAY)
                pa->signing = pubday - 1;
            if (pa->signing != DS_NO_DATE)
                pa->date_clause = cc;
        }
    }
}

/* Signing date (of the act the stage names: signing, approval, selection;
 * the announced day of a planned signing), year, announcement and place. */
static void settle_dates(const ds_extractor *ex, primary_acc *pa, ds_mention *m)
{
    ds_stage stage = m->stage;
    date_from_framework_clause(ex, pa);
    if (pa->signing == DS_NO_DATE && pa->said != DS_NO_DATE) {
        pa->signing = pa->said;
        pa->date_clause = pa->said_clause;
    }
    if (pa->signing == DS_NO_DATE && pa->said_will != DS_NO_DATE &&
        (stage == DS_STAGE_SELECTION || stage == DS_STAGE_APPROVAL)) {
        pa->signing = pa->said_will;
        pa->date_clause = pa->said_will_clause;
    }
    /* "agreed on Friday to buy 80 Rafale ...; the contracts were signed in
     * Dubai": the day of the deal clause dates a signing the article reports */
    if (pa->signing == DS_NO_DATE && pa->deal_day != DS_NO_DATE && (pa->cues & BIT(CUE_SIGNED))) {
        pa->signing = pa->deal_day;
        pa->date_clause = pa->deal_day_clause;
    }
    /* the day a list of awards is headed with dates the awards it lists */
    if (pa->signing == DS_NO_DATE && pa->headline_day != DS_NO_DATE && !pa->sign_year) {
        pa->signing = pa->headline_day;
        pa->date_clause = pa->headline_clause;
    }
    if (pa->signing != DS_NO_DATE && stage != DS_STAGE_DELIVERY &&
        (m->status == DS_STATUS_SIGNED || stage == DS_STAGE_APPROVAL || stage == DS_STAGE_SELECTION)) {
        m->signing_date = pa->signing;
        int y, mo, d;
        ds_civil_from_days(pa->signing, &y, &mo, &d);
        m->signing_year = y;
        set_evidence(ex, m, "signing_date", pa->date_clause);
    } else if (m->status == DS_STATUS_PLANNED && pa->planned != DS_NO_DATE) {
        m->signing_date = pa->planned;
        set_evidence(ex, m, "signing_date", pa->planned_clause);
    } else if (m->status == DS_STATUS_PLANNED && pa->planned_year) {
        m->signing_year = pa->planned_year; /* "expected to be signed later this month" */
    }
    if (m->signing_date == DS_NO_DATE && !m->signing_year && pa->sign_year && m->status != DS_STATUS_PLANNED)
        m->signing_year = pa->sign_year;
    m->announce_date = pa->pubday;
    if (pa->place_clause && m->status == DS_STATUS_SIGNED)
        set_evidence(ex, m, "place", pa->place_clause);
    else
        m->place[0] = '\0';
}

/* Batch, value (converted at the rate of the signing year, else the
 * article's) and the relations the wording implies. */
static void settle_value_relations(const ds_extractor *ex, const primary_acc *pa, ds_mention *m)
{
    /* "42 Rafale ...; a first tranche of six jets takes effect": a part of
     * this contract, not a batch of a programme */
    if (pa->batch > 0 && !(pa->batch_qty > 0 && m->quantity > pa->batch_qty) && m->stage != DS_STAGE_JOINT_VENTURE &&
        m->stage != DS_STAGE_APPROVAL)
        m->batch = pa->batch; /* a venture enables contracts and an approval sets a ceiling: no batch of one */
    if (pa->money) {
        int y = m->signing_year ? m->signing_year : pa->pubyear;
        money_to_value(ex, pa->money, pa->usd_money, y, &m->value);
        m->value.combined = pa->money_combined;
        set_evidence(ex, m, "value", pa->money_clause);
    }
    if (pa->another || pa->batch > 1)
        m->rels[m->nrels++] = (ds_relhint){DS_REL_NEXT_BATCH, "", 0, -1, pa->batch > 1 ? pa->batch - 1 : 0};
    if (m->stage == DS_STAGE_OPTION && m->nrels < DS_MAX_RELS)
        m->rels[m->nrels++] = (ds_relhint){DS_REL_OPTION_EXERCISE, "", 0, -1, 0};
}

/* "presented the first F-35A built for Poland", "activated its first SPYDER
 * battery", "the second MILGEM corvette", "the third of the frigates": the
 * first clause naming family fm hands over one, a singular system (or unit
 * noun) after an ordinal, or "of" right after it; a batch or contract word
 * between them counts more than one. */
static int first_one(const ds_extractor *ex, const fam *fm)
{
    const char *f = ex->fold;
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        if (c->context || !clause_has_family(ex, c, fm))
            continue;
        int end = c->first_item + c->nitems;
        for (int k = c->first_item; k < end; k++) {
            const item *o = &ex->items[k];
            if (o->type != IT_CUE || o->cue != CUE_ORDINAL || o->num < 1 || !isalpha((unsigned char)f[o->start]))
                continue;
            if (o->end + 4 <= ex->flen && memcmp(f + o->end, " of ", 4) == 0 && k + 1 < end &&
                ex->items[k + 1].type != IT_QTY && ex->items[k + 1].type != IT_NUM)
                return 1; /* "the second of the corvettes" */
            for (int j = k + 1; j < end && ex->items[j].start - o->end < 48; j++) {
                const item *x = &ex->items[j];
                if (x->type == IT_QTY || x->type == IT_NUM)
                    return 0; /* "the first 10 K2" */
                if (x->type == IT_CUE && (x->cue == CUE_BATCHWORD || x->cue == CUE_DEAL || x->cue == CUE_EXECUTIVE))
                    return 0; /* "the second tranche of K9" */
                if (x->type != IT_ENT || x->ent_kind != DS_ENT_SYSTEM || ex->sys_root[x->idx] != fm->root)
                    continue;
                const item *u = j + 1 < end ? &ex->items[j + 1] : NULL;
                if (u && u->type == IT_CUE && u->cue == CUE_UNIT && u->start - x->end < 40)
                    return f[u->end - 1] != 's';
                return f[x->end - 1] != 's';
            }
        }
        return 0;
    }
    return 0;
}

/* "... marking the first delivery under the 32-aircraft contract Warsaw
 * signed in January 2020": the year of the contract a delivery of family
 * fm is made under, named in the recall clause ("under ...") right after a
 * clause of the delivery. Returns it, or 0. */
/* Country items of clause c name no state but buyer and seller. */
static int only_parties(const ds_extractor *ex, const clause *c, const char *buyer, const char *seller)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const char *iso3;
        if (country_of_item(ex, &ex->items[k], &iso3) && strcmp(iso3, buyer) != 0 && strcmp(iso3, seller) != 0)
            return 0;
    }
    return 1;
}

/* "The ship is the second of four corvettes ordered by Pakistan in 2018":
 * in delivery news of family fm (buyer, seller), a recall of the body that
 * signs or names a deal, names no other system and no other state, dates
 * the contract delivered. Returns its year, or 0. */
static int delivered_contract_year(const ds_extractor *ex, const fam *fm, const char *buyer, const char *seller)
{
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        if (!c->context || headline(ex, c) || !(c->cues & (BIT(CUE_SIGNED) | BIT(CUE_DEAL))) ||
            (c->cues & (BIT(CUE_APPROVAL) | BIT(CUE_SELECTION) | BIT(CUE_INTENT) | BIT(CUE_AGGREGATE))) ||
            !names_alone(ex, c, fm) || !only_parties(ex, c, buyer, seller))
            continue;
        for (int k = c->first_item; k < c->first_item + c->nitems; k++)
            if (ex->items[k].type == IT_YEAR)
                return (int)ex->items[k].num;
    }
    return 0;
}

static int delivered_under(const ds_extractor *ex, const fam *fm)
{
    for (size_t ci = 0; ci + 1 < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci], *u = &ex->clauses[ci + 1];
        if (c->context || !clause_has_family(ex, c, fm) || !u->context || u->sent != c->sent || !u->nitems)
            continue;
        const item *lead = &ex->items[u->first_item];
        if (lead->type != IT_CUE || lead->cue != CUE_CLAUSE || strncmp(cue_lex(lead)->text, "under", 5) != 0 ||
            clause_names_system(ex, u))
            continue;
        for (int k = u->first_item; k < u->first_item + u->nitems; k++)
            if (ex->items[k].type == IT_YEAR)
                return (int)ex->items[k].num;
    }
    return 0;
}

/* "The 2020 contract was valued at $4.6 billion": the sum of a recall
 * clause naming no other system, a deal and the year of the contract a
 * delivery or cancellation of family fm concerns is that contract's value. */
static void contract_value_of_year(const ds_extractor *ex, const fam *fm, ds_mention *m)
{
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        if (!c->context || headline(ex, c) || !(c->cues & BIT(CUE_DEAL)) || !names_alone(ex, c, fm) ||
            (c->cues & (BIT(CUE_AGGREGATE) | BIT(CUE_APPROVAL))))
            continue;
        const item *sum = NULL, *usd = NULL;
        int year = 0, nsums = 0;
        for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
            const item *it = &ex->items[k];
            if (it->type == IT_YEAR && (int)it->num == m->signing_year)
                year = 1;
            if (it->type != IT_MONEY)
                continue;
            if (sum && !usd && strcmp(it->cur, "USD") == 0 && strcmp(sum->cur, "USD") != 0)
                usd = it;
            else if (!sum)
                sum = it;
            nsums++;
        }
        if (year && sum && nsums == 1 + (usd != NULL)) {
            money_to_value(ex, sum, usd, m->signing_year, &m->value);
            set_evidence(ex, m, "value", c);
            return;
        }
    }
}

/* Fills one primary mention of family fm from the clauses that report it:
 * nprimary is the number of primary families of the article, only_sent the
 * sentence the deal owns alone when it is one of several of its family
 * (split_family; -(clause + 2) for a clause), else -1. Returns 1 when its
 * sum comes from a clause that names its family, else 0. */
static int build_primary(ds_extractor *ex, const char *orig, const fam *fm, int nprimary, int32_t pubday,
                         int only_sent, ds_mention *m)
{
    primary_acc pa;
    primary_init(ex, fm, nprimary, pubday, only_sent, &pa);
    ds_strlcpy(m->family, fm->family, sizeof m->family);
    pa.co_listed = co_listed(ex, fm);
    for (size_t ci = 0; ci < ex->nclauses; ci++)
        gather_clause(ex, orig, &pa, ci, m);
    settle_parties(ex, &pa, m);
    settle_system_quantity(ex, &pa, m);
    settle_stage_status(&pa, m);
    settle_dates(ex, &pa, m);
    if (m->stage == DS_STAGE_DELIVERY && m->signing_date == DS_NO_DATE && !m->signing_year)
        m->signing_year = delivered_under(ex, fm);
    /* a cancellation, like a delivery, is dated by the contract it ends */
    if ((m->stage == DS_STAGE_DELIVERY || m->stage == DS_STAGE_CANCELLATION) && m->signing_date == DS_NO_DATE &&
        !m->signing_year && !fm->generic)
        m->signing_year = delivered_contract_year(ex, fm, m->buyer, m->seller);
    if ((m->stage == DS_STAGE_DELIVERY || m->stage == DS_STAGE_CANCELLATION) && !pa.money && m->signing_year)
        contract_value_of_year(ex, fm, m);
    if (m->stage == DS_STAGE_DELIVERY && m->quantity < 0 && first_one(ex, fm))
        m->quantity = 1;
    settle_value_relations(ex, &pa, m);
    return pa.money && pa.money_has_family;
}

/* Context mention of family fm from context clauses (an earlier deal recalled). */
static const uint64_t context_deal_cues = BIT(CUE_DEAL) | BIT(CUE_SIGNED) | BIT(CUE_FRAMEWORK) | BIT(CUE_EXECUTIVE) |
                                          BIT(CUE_APPROVAL) | BIT(CUE_SELECTION) | BIT(CUE_LOA) | BIT(CUE_FIRST) |
                                          BIT(CUE_EXERCISE) | BIT(CUE_BATCHWORD) | BIT(CUE_JV);

/* The stage of the earlier deal a context clause recalls. */
static ds_stage context_stage(const clause *c)
{
    if (c->cues & BIT(CUE_FRAMEWORK))
        return DS_STAGE_FRAMEWORK;
    if (c->cues & BIT(CUE_APPROVAL))
        return DS_STAGE_APPROVAL;
    if (c->cues & BIT(CUE_SELECTION))
        return DS_STAGE_SELECTION;
    if ((c->cues & BIT(CUE_JV)) && !(c->cues & (BIT(CUE_EXECUTIVE) | BIT(CUE_FIRST))))
        return DS_STAGE_JOINT_VENTURE;
    return DS_STAGE_EXECUTIVE;
}

/* A context clause recalls family fm when it names it, or when it names no
 * system and another clause of its sentence does ("... placed under the 2022
 * framework agreement, after the first contract for 180 K2GF tanks"). */
/* "approved the possible sale ..., a ceiling that included Hellfire
 * missiles": system item it of approval clause c comes after a word that
 * lists what the approved package includes, so it is a store of the
 * package, not what is sold. */
static int store_of_ceiling(const ds_extractor *ex, const clause *c, const item *it)
{
    if (!(c->cues & BIT(CUE_APPROVAL)))
        return 0;
    static const char *const lists[] = {"includ", " covered ", " covering ", " with "};
    const char *f = ex->fold + c->start;
    size_t n = (size_t)(it->start - c->start);
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (find_in(f, n, lists[i], strlen(lists[i])))
            return 1;
    return 0;
}

/* Clause c names a system of family fm that is not a store of an approved
 * package (store_of_ceiling). */
static int names_sold_family(const ds_extractor *ex, const clause *c, const fam *fm)
{
    if (fm->generic)
        return clause_has_family(ex, c, fm);
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM && ex->sys_root[it->idx] == fm->root &&
            !store_of_ceiling(ex, c, it))
            return 1;
    }
    return 0;
}

/* A primary mention of the article is of category cat. */
static int news_of_kind(const ds_extractor *ex, const char *cat)
{
    for (size_t i = 0; i < ex->nout; i++)
        if (ex->out[i].role == DS_ROLE_PRIMARY && strcmp(ex->out[i].category, cat) == 0)
            return 1;
    return 0;
}

/* A primary mention of the article is of family. */
static int news_of_family(const ds_extractor *ex, const char *family)
{
    for (size_t i = 0; i < ex->nout; i++)
        if (ex->out[i].role == DS_ROLE_PRIMARY && strcmp(ex->out[i].family, family) == 0)
            return 1;
    return 0;
}

static int context_family(const ds_extractor *ex, size_t ci, const fam *fm)
{
    const clause *c = &ex->clauses[ci];
    if (names_sold_family(ex, c, fm))
        return 1;
    if (clause_has_family(ex, c, fm))
        return 0; /* only as a store of an approved package */
    const ds_system *root = fam_root(ex, fm);
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM && !store_of_ceiling(ex, c, it))
            return 0;
        /* "framework deals ... for around 1,000 tanks": counted by category, a
         * recall of the news's own family when the news has one of that kind */
        if (it->type == IT_QTY && it->target_sys < 0 && it->unit && root && strcmp(it->unit, root->category) == 0)
            return !news_of_kind(ex, root->category) || news_of_family(ex, fm->family);
    }
    int sentence_names_system = 0;
    for (size_t cj = (size_t)ex->sents[c->sent].c0; cj < (size_t)ex->sents[c->sent].c1; cj++) {
        if (cj == ci)
            continue;
        if (clause_has_family(ex, &ex->clauses[cj], fm))
            return 1;
        sentence_names_system |= clause_names_system(ex, &ex->clauses[cj]);
    }
    /* "below the $6bn ceiling the State Department approved in February" in an
     * article about one system: that system's */
    return !sentence_names_system && ex->single_family[0] && strcmp(ex->single_family, fm->family) == 0 &&
           (c->cues & (BIT(CUE_APPROVAL) | BIT(CUE_SELECTION) | BIT(CUE_FRAMEWORK) | BIT(CUE_LOA)));
}

#define DS_MAX_DISTRIB 4

/* "The first two executive contracts, signed in 2022 and 2024, covered 218
 * and 72 launchers respectively": a recall clause listing n >= 2 earlier
 * contracts of family fm, with their counts (and years) in order. So does
 * a list that gives each contract its count and then its year ("orders for
 * 218 launchers (5.04 trillion won) in 2022 and 72 launchers in 2024"):
 * every count followed by one year before the next count. Fills qtys,
 * years (0 when not given) and *first_batch (the ordinal before the list,
 * 0 if none); returns n, or 0 when c is no such list. */
/* The number of contracts clause c says it speaks of: a number right
 * before a deal or executive-contract word, or one word before it ("two
 * earlier executive contracts"); 0 when it says none. */
static int stated_contracts(const ds_extractor *ex, const clause *c)
{
    int end = c->first_item + c->nitems;
    for (int k = c->first_item; k + 1 < end; k++) {
        const item *it = &ex->items[k];
        if (it->type != IT_NUM || it->num < 2 || it->num > DS_MAX_DISTRIB || it->num != (int)it->num)
            continue;
        for (int j = k + 1; j < end && j <= k + 2; j++) {
            const item *nx = &ex->items[j];
            if (nx->type == IT_CUE && (nx->cue == CUE_DEAL || nx->cue == CUE_EXECUTIVE) && nx->start - it->end <= 10)
                return (int)it->num;
            if (nx->type != IT_CUE || nx->cue != CUE_CONTEXT)
                break; /* only a word of time ("earlier") between */
        }
    }
    return 0;
}

static int distributive(const ds_extractor *ex, const clause *c, const fam *fm, int64_t *qtys, int *years,
                        int *first_batch)
{
    if (fm->generic)
        return 0;
    int respectively = (c->cues & BIT(CUE_RESPECTIVELY)) != 0;
    int paired = 1, want_count = 1; /* counts and years alternate, a count first */
    const ds_system *root = fam_root(ex, fm);
    int nq = 0, ny = 0;
    *first_batch = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_CUE && it->cue == CUE_ORDINAL && !*first_batch && k + 1 < c->first_item + c->nitems &&
            ex->items[k + 1].type == IT_NUM)
            *first_batch = (int)it->num; /* "the first two" */
        if (it->type == IT_YEAR && ny < DS_MAX_DISTRIB) {
            years[ny++] = (int)it->num;
            paired &= !want_count;
            want_count = 1;
        }
        int mine = it->type == IT_QTY &&
                   ((it->target_sys >= 0 && ex->sys_root[it->target_sys] == fm->root) ||
                    (it->target_sys < 0 && root && it->unit && strcmp(it->unit, root->category) == 0));
        /* "218 and 72 launchers": the first number counts what the last one does */
        if (it->type == IT_NUM && !it->used && k + 1 < c->first_item + c->nitems) {
            const item *nx = &ex->items[k + 1];
            int gap = nx->start - it->end;
            if (nx->type == IT_QTY && ((gap == 5 && memcmp(ex->fold + it->end, " and ", 5) == 0) ||
                                       (gap == 2 && memcmp(ex->fold + it->end, ", ", 2) == 0)))
                mine = (nx->target_sys >= 0 && ex->sys_root[nx->target_sys] == fm->root) ||
                       (nx->target_sys < 0 && root && nx->unit && strcmp(nx->unit, root->category) == 0);
        }
        if (mine && nq < DS_MAX_DISTRIB) {
            qtys[nq++] = (int64_t)it->num;
            paired &= want_count;
            want_count = 0;
        }
    }
    /* "two earlier executive contracts, from 2022 and 2024, covered 218 and
     * 72 launchers": as many contracts said as counts listed */
    if (!respectively && nq >= 2 && stated_contracts(ex, c) == nq)
        respectively = 1;
    if (nq < 2 || (ny && ny != nq) || (!respectively && !(paired && ny == nq)))
        return 0;
    for (int i = ny; i < nq; i++)
        years[i] = 0;
    return nq;
}

/* "the second executive contract under the 2022 framework", "under the
 * framework agreement concluded last month": a framework named only as the
 * parent of the news, with no count, month or day of its own, says nothing
 * about that earlier deal but that it exists. A year right before the
 * framework word is part of its name. */
static int bare_framework(const ds_extractor *ex, const clause *c)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_QTY || it->type == IT_DATE || (it->type == IT_CUE && it->cue == CUE_MONTH))
            return 0;
        /* "364 out of the 672 set out in the framework": its count */
        if (it->type == IT_NUM && !it->used &&
            ((it->start >= 11 && memcmp(ex->fold + it->start - 11, "out of the ", 11) == 0) ||
             (it->start >= 7 && memcmp(ex->fold + it->start - 7, "out of ", 7) == 0)))
            return 0;
        if (it->type == IT_YEAR && !(k + 1 < c->first_item + c->nitems && ex->items[k + 1].type == IT_CUE &&
                                     ex->items[k + 1].cue == CUE_FRAMEWORK && ex->items[k + 1].start - it->end <= 1))
            return 0;
    }
    return 1;
}

/* How many countries other than the seller root's origin clause c names as
 * nouns ("Estonia", not "Estonian"). */
static int clause_buyers(const ds_extractor *ex, const clause *c, const ds_system *root)
{
    const char *seen[4];
    int n = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems && n < 4; k++) {
        const char *iso3;
        if (country_of_item(ex, &ex->items[k], &iso3) != 2 || (root && strcmp(iso3, root->origin) == 0))
            continue;
        int dup = 0;
        for (int i = 0; i < n; i++)
            dup |= strcmp(seen[i], iso3) == 0;
        if (!dup)
            seen[n++] = iso3;
    }
    return n;
}

/* The batch a clause numbers: "the second batch", "the third executive
 * contract", "the first tranche"; 0 when it numbers none. */
static int clause_batch(const ds_extractor *ex, const clause *c)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_CUE && it->cue == CUE_FIRST)
            return 1;
        if (it->type != IT_CUE || it->cue != CUE_ORDINAL)
            continue;
        for (int k2 = k + 1; k2 < c->first_item + c->nitems && k2 <= k + 3; k2++)
            if (names_batch(&ex->items[k2]) == 1)
                return (int)it->num;
    }
    return 0;
}

/* "together with earlier launcher orders, Poland has now committed to more
 * than 12 trillion won": a sum with earlier orders folded in, counting and
 * dating none of them, is a running total, not a recalled deal. */
static int running_total(const ds_extractor *ex, const clause *c)
{
    if (!(c->cues & BIT(CUE_COMBINED)))
        return 0;
    int money = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_QTY || it->type == IT_YEAR || it->type == IT_DATE)
            return 0;
        money |= it->type == IT_MONEY;
    }
    return money;
}

/* "after parliament approved the purchase last month": a clause whose deal
 * is only "the purchase" / "the deal", with no system, count, date or stage
 * of its own, refers back to the deal the article reports; it is a step of
 * that deal, not an earlier one. */
static int names_the_news(const ds_extractor *ex, const clause *c)
{
    const uint64_t own = BIT(CUE_FRAMEWORK) | BIT(CUE_EXECUTIVE) | BIT(CUE_FIRST) | BIT(CUE_ORDINAL) | BIT(CUE_LOA) |
                         BIT(CUE_JV) | BIT(CUE_OPTION) | BIT(CUE_EXERCISE) | BIT(CUE_APPROVAL) |
                         BIT(CUE_SELECTION) | BIT(CUE_BATCHWORD) | BIT(CUE_MONTH) | BIT(CUE_ANOTHER);
    if (c->cues & own)
        return 0;
    int definite = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_QTY || it->type == IT_YEAR || it->type == IT_DATE || it->type == IT_MONEY ||
            (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM))
            return 0;
        if (it->type == IT_CUE && it->cue == CUE_DEAL) {
            if (!(it->start >= 4 && memcmp(ex->fold + it->start - 4, "the ", 4) == 0))
                return 0;
            definite = 1;
        }
    }
    return definite;
}

static int contract_year(const ds_extractor *ex, const clause *cc, int k);

/* "operates a HIMARS squadron from a 2019 purchase and is negotiating a
 * larger buy": clause c names a deal by its year ("a 2019 purchase")
 * before any word of talk; the talk that follows is about another. */
static int dated_deal_before_talk(const ds_extractor *ex, const clause *c)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_CUE && it->cue == CUE_INTENT)
            return 0;
        if (it->type == IT_YEAR && contract_year(ex, c, k))
            return 1;
    }
    return 0;
}

/* Whether context clause ci recalls the earlier deal of family fm at stage
 * want (in delivery news of batch not_batch, only another numbered batch:
 * "the 180 tanks in the second batch, ordered in August"). An earlier deal
 * is recalled with deal words, not in talk, totals or earnings ("up sharply
 * from a year earlier"); a list of several contracts is distribute()'s; a
 * recall naming several of the news's buyers cannot be given to one of
 * them ("Estonia and Finland, which jointly bought K9 howitzers in 2017 and
 * 2018"). */
/* "..., after parliament approved the purchase last month": a recall
 * clause that approves a definite purchase, naming no system and no
 * count, is a step of the deal its sentence reports, not another deal. */
static int approves_the_news(const ds_extractor *ex, const clause *c)
{
    static const char *const own[] = {"approved the purchase", "approved the acquisition", "approved the procurement"};
    if (!(c->cues & BIT(CUE_APPROVAL)) || c->has_qty || clause_names_system(ex, c))
        return 0;
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (find_in(ex->fold + c->start, (size_t)(c->end - c->start), own[i], strlen(own[i])))
            return 1;
    return 0;
}

static int recalls_deal(const ds_extractor *ex, size_t ci, const fam *fm, ds_stage want, int not_batch,
                        int buyers_split)
{
    const clause *c = &ex->clauses[ci];
    if (!c->context || !context_family(ex, ci, fm) || context_stage(c) != want || approves_the_news(ex, c))
        return 0;
    if (not_batch) {
        int b = clause_batch(ex, c);
        if (!b || b == not_batch)
            return 0;
    }
    if (!(c->cues & context_deal_cues) || ((c->cues & BIT(CUE_AGGREGATE)) && !(c->cues & BIT(CUE_SIGNED))) ||
        ((c->cues & BIT(CUE_INTENT)) && !(c->cues & BIT(CUE_SIGNED)) && !dated_deal_before_talk(ex, c)) ||
        running_total(ex, c) || names_the_news(ex, c))
        return 0;
    int64_t dq[DS_MAX_DISTRIB];
    int dy[DS_MAX_DISTRIB], db;
    if (want == DS_STAGE_EXECUTIVE && distributive(ex, c, fm, dq, dy, &db))
        return 0;
    return !(buyers_split && clause_buyers(ex, c, fam_root(ex, fm)) >= 2);
}

/* The year a recall clause c dates by month item k ("in October", recalled
 * in a February article: last year's; "signed in August last year"). */
static int recalled_month_year(const ds_extractor *ex, const clause *c, int k, pubdate pd)
{
    int year = (int)ex->items[k].num > pd.month ? pd.year - 1 : pd.year;
    for (int k2 = k + 1; k2 < c->first_item + c->nitems && k2 <= k + 2; k2++)
        if (ex->items[k2].type == IT_CUE && ex->items[k2].cue == CUE_CONTEXT &&
            strcmp(lexicon[ex->items[k2].idx].text, "last year") == 0)
            year = pd.year - 1;
    return year;
}

/* Takes item k of recall clause c into context mention m: the earlier
 * deal's year, month or date, count, batch and buyer (when the news has no
 * primary of this family). */
static void context_take_item(const ds_extractor *ex, const clause *c, int k, const fam *fm, pubdate pd,
                              int family_primary, ds_mention *m)
{
    const item *it = &ex->items[k];
    const ds_system *root = fam_root(ex, fm);
    if (it->type == IT_YEAR && !m->signing_year && (pd.year == 0 || it->num < pd.year)) {
        m->signing_year = (int)it->num;
        set_evidence(ex, m, "signing_date", c);
    }
    if (it->type == IT_CUE && it->cue == CUE_MONTH && !m->signing_year && pd.year && c->recalled_month &&
        k > c->first_item && ex->items[k - 1].type == IT_CUE && ex->items[k - 1].cue == CUE_IN) {
        m->signing_year = recalled_month_year(ex, c, k, pd);
        set_evidence(ex, m, "signing_date", c);
    }
    if (it->type == IT_DATE && m->signing_date == DS_NO_DATE) {
        int y, mo, d;
        ds_civil_from_days(it->date, &y, &mo, &d);
        m->signing_date = it->date;
        m->signing_year = y;
    }
    if (it->type == IT_QTY && m->quantity < 0 &&
        ((it->target_sys >= 0 && ex->sys_root[it->target_sys] == fm->root) ||
         (it->target_sys < 0 && it->unit && strcmp(it->unit, root->category) == 0))) {
        m->quantity = (int64_t)it->num;
        set_evidence(ex, m, "quantity", c);
    }
    if (it->type == IT_CUE && it->cue == CUE_ORDINAL && !m->batch) {
        for (int k2 = k + 1; k2 < c->first_item + c->nitems && k2 <= k + 3; k2++)
            if (names_batch(&ex->items[k2]) == 1)
                m->batch = (int)it->num;
    }
    if (it->type == IT_CUE && it->cue == CUE_FIRST)
        m->batch = 1;
    const char *iso3 = NULL;
    if (sold_from(ex, c, k, fm) && country_of_item(ex, it, &iso3)) {
        ds_strlcpy(m->seller, iso3, sizeof m->seller);
        return;
    }
    if (country_of_item(ex, it, &iso3) && !m->buyer[0] && !family_primary && strcmp(iso3, root->origin) != 0)
        ds_strlcpy(m->buyer, iso3, sizeof m->buyer);
}

/* "Vietnam, which bought six Kilo-class boats from Russia, ...": item k is
 * the signing (or choosing) verb of a relative clause right after a
 * country; the relative clause recalls what that state bought or chose. Returns the folded
 * offset of the comma that closes it (the sentence's end when none), or
 * -1. */
static int relative_purchase(const ds_extractor *ex, size_t k, int sent_end)
{
    const item *v = &ex->items[k];
    const char *iso3;
    if (k == 0 || v->type != IT_CUE || (v->cue != CUE_SIGNED && v->cue != CUE_SELECTION) ||
        !country_of_item(ex, &ex->items[k - 1], &iso3))
        return -1;
    const item *it = &ex->items[k - 1];
    if (v->start - it->end != 8 || memcmp(ex->fold + it->end, ", which ", 8) != 0)
        return -1;
    for (int p = v->end; p < sent_end; p++)
        if (ex->fold[p] == ',')
            return p;
    return sent_end;
}

/* "Saudi Arabia has been a demanding customer. It acquired Chinese Wing
 * Loong ...": clause c opens its sentence with a pronoun for a state, and
 * the sentence before opens with one; that state, else NULL. */
static const char *pronoun_subject(const ds_extractor *ex, const clause *c)
{
    static const char *const pronouns[] = {"it ", "the country ", "the kingdom "};
    const sentence *st = &ex->sents[c->sent];
    const char *iso3;
    if (c->sent == 0 || c->start != st->start)
        return NULL;
    int opens = 0;
    for (size_t i = 0; i < sizeof pronouns / sizeof pronouns[0] && !opens; i++)
        opens = memcmp(ex->fold + c->start, pronouns[i], strlen(pronouns[i])) == 0;
    const sentence *pv = &ex->sents[c->sent - 1];
    if (!opens || pv->c0 >= pv->c1 || !ex->clauses[pv->c0].nitems)
        return NULL;
    const item *first = &ex->items[ex->clauses[pv->c0].first_item];
    return first->start == pv->start && country_of_item(ex, first, &iso3) == 2 ? iso3 : NULL;
}

/* The buyer a recall clause c names as the subject of its signing verb: the
 * last country (not origin, the system's) before the clause's first
 * signing word ("Neighbouring Poland, Hanwha's largest customer, has
 * ordered ..."). Returns its ISO3 or NULL. */
static const char *recall_subject(const ds_extractor *ex, const clause *c, const char *origin)
{
    const char *who = NULL;
    /* "Vietnam, which bought ...": the relative clause's subject ends the clause before */
    if (c->nitems && relative_purchase(ex, (size_t)c->first_item, ex->sents[c->sent].end) >= 0 &&
        country_of_item(ex, &ex->items[c->first_item - 1], &who) && strcmp(who, origin) != 0)
        return who;
    who = pronoun_subject(ex, c);
    if (who && strcmp(who, origin) != 0)
        return who;
    who = NULL;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        const char *iso3;
        if (it->type == IT_CUE && it->cue == CUE_SIGNED)
            return who;
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM)
            who = NULL; /* a country before a system describes it ("Korean K9") */
        else if (it->type == IT_ENT && country_of_item(ex, it, &iso3) && strcmp(iso3, origin) != 0)
            who = iso3;
    }
    return NULL;
}

/* Fills m from the context clauses recalling an earlier deal of family fm
 * (not generic) at stage want. Returns 0 when none does, 1 for a context
 * mention, 2 when the only recalls are bare frameworks (bare_framework): m
 * then carries what the news's relation to its parent needs, but is not a
 * mention. */
static int build_context(ds_extractor *ex, const fam *fm, ds_stage want, const ds_mention *primary, int32_t pubday,
                         int not_batch, ds_mention *m)
{
    pubdate pd = pubdate_from_day(pubday);
    const ds_system *root = fam_root(ex, fm);
    int found = 0, substance = 0;
    /* an earlier deal of the article's own system was made by the same buyer
     * ("India's second K9 Vajra order ... the first, in 2017, amid tension with China") */
    const ds_mention *same_family_primary = NULL;
    int buyers_split = 0; /* the news is several deals of this family, for different buyers */
    for (size_t p = 0; p < ex->nout; p++)
        if (ex->out[p].role == DS_ROLE_PRIMARY && strcmp(ex->out[p].family, fm->family) == 0 && ex->out[p].buyer[0]) {
            buyers_split |= same_family_primary && strcmp(same_family_primary->buyer, ex->out[p].buyer) != 0;
            same_family_primary = &ex->out[p];
        }
    if (same_family_primary)
        ds_strlcpy(m->buyer, same_family_primary->buyer, sizeof m->buyer);
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        if (c->table || !recalls_deal(ex, ci, fm, want, not_batch, buyers_split))
            continue; /* a table's rows are deals of their own (emit_table_rows) */
        if (!found) {
            set_evidence(ex, m, "stage", c); /* the sentence that recalls the deal */
            const char *who = recall_subject(ex, c, root->origin);
            if (who) /* "Neighbouring Poland has ordered 364 K9s": not the news's buyer */
                ds_strlcpy(m->buyer, who, sizeof m->buyer);
        }
        found = 1;
        substance |= want != DS_STAGE_FRAMEWORK || !bare_framework(ex, c);
        for (int k = c->first_item; k < c->first_item + c->nitems; k++)
            context_take_item(ex, c, k, fm, pd, same_family_primary != NULL, m);
    }
    if (!found)
        return 0;
    m->role = DS_ROLE_CONTEXT;
    ds_strlcpy(m->family, fm->family, sizeof m->family);
    ds_strlcpy(m->system, root->id, sizeof m->system);
    ds_strlcpy(m->seller, root->origin, sizeof m->seller);
    set_category(ex, fm, m);
    if (!m->buyer[0] && primary)
        ds_strlcpy(m->buyer, primary->buyer, sizeof m->buyer);
    m->stage = want;
    m->status = want == DS_STAGE_APPROVAL ? DS_STATUS_APPROVED
                : want == DS_STAGE_SELECTION ? DS_STATUS_PLANNED : DS_STATUS_SIGNED;
    return substance ? 1 : 2;
}

#define DS_MAX_SPLIT 4

/* The buyer a clause names as a state, not the family's origin; NULL if none. */
static const char *clause_buyer(const ds_extractor *ex, const clause *c, const ds_system *root)
{
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const char *iso3;
        if (country_of_item(ex, &ex->items[k], &iso3) == 2 && (!root->origin[0] || strcmp(iso3, root->origin) != 0))
            return iso3;
    }
    return NULL;
}

/* Two deals of family fm in one sentence si, one per clause ("Lithuania
 * signed for NASAMS worth NOK 2.1 billion, while Spain placed an order for
 * NASAMS launchers worth NOK 1.2 billion"): every clause that names the
 * family with a count or a sum names a buyer of its own. Adds those clauses
 * as anchors (-(clause + 2), see build_primary) to the nb of by_buyer and
 * buyers; returns 1, or 0 when the sentence is no such pair. */
static int split_clauses(const ds_extractor *ex, const fam *fm, size_t si, int *by_buyer, const char **buyers, int *nb)
{
    if (ex->sents[si].c1 - ex->sents[si].c0 < 2)
        return 0; /* one clause */
    const ds_system *root = fam_root(ex, fm);
    int anchors[DS_MAX_SPLIT];
    const char *who[DS_MAX_SPLIT];
    int n = 0;
    for (size_t ci = (size_t)ex->sents[si].c0; ci < (size_t)ex->sents[si].c1; ci++) {
        const clause *c = &ex->clauses[ci];
        if (c->context || !clause_has_family(ex, c, fm) || !clause_is_deal(c))
            continue;
        int figure = 0;
        for (int k = c->first_item; k < c->first_item + c->nitems; k++)
            figure |= ex->items[k].type == IT_MONEY || ex->items[k].type == IT_QTY;
        const char *b = clause_buyer(ex, c, root);
        if (!figure || !b || n == DS_MAX_SPLIT)
            return 0;
        for (int i = 0; i < n; i++)
            if (strcmp(who[i], b) == 0)
                return 0;
        who[n] = b;
        anchors[n++] = -(int)ci - 2;
    }
    if (n < 2)
        return 0;
    for (int i = 0; i < n && *nb < DS_MAX_SPLIT; i++) {
        int dup = 0;
        for (int j = 0; j < *nb; j++)
            dup |= strcmp(buyers[j], who[i]) == 0;
        if (!dup) {
            buyers[*nb] = who[i];
            by_buyer[(*nb)++] = anchors[i];
        }
    }
    return 1;
}

/* A clause of sentence si names family fm. */
static int sentence_has_family(const ds_extractor *ex, size_t si, const fam *fm)
{
    for (int ci = ex->sents[si].c0; ci < ex->sents[si].c1; ci++)
        if (clause_has_family(ex, &ex->clauses[ci], fm))
            return 1;
    return 0;
}

/* Several deals of one family in one article: each in a sentence of its own
 * that counts the system, or in a clause of its own (split_clauses), either
 * for different buyers ("Estonia ... six more K9 ... Finland ... ten
 * additional K9FIN") or as different variants each with its own sum ("12
 * FA-50GF for $705 million ... 36 FA-50PL for $2.3 billion"). Returns the
 * number of such deals (0: one deal) and lists their anchors: a sentence
 * index, or -(clause + 2) for a clause. */
static int split_family(const ds_extractor *ex, const fam *fm, int *anchors)
{
    if (fm->generic)
        return 0;
    const ds_system *root = fam_root(ex, fm);
    int nb = 0, nv = 0;
    int by_buyer[DS_MAX_SPLIT], by_variant[DS_MAX_SPLIT];
    const char *buyers[DS_MAX_SPLIT], *variants[DS_MAX_SPLIT];
    for (size_t si = 0; si < ex->nsents; si++) {
        int counted = 0, money = 0, dealish = 0;
        const char *buyer = NULL, *variant = NULL;
        if (split_clauses(ex, fm, si, by_buyer, buyers, &nb))
            continue;
        for (size_t ci = (size_t)ex->sents[si].c0; ci < (size_t)ex->sents[si].c1; ci++) {
            const clause *c = &ex->clauses[ci];
            if (c->context)
                continue;
            dealish |= clause_is_deal(c);
            for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
                const item *it = &ex->items[k];
                /* a count by category alone ("six aircraft") is of the system its
                 * sentence or, naming none, its paragraph named last */
                if (it->type == IT_QTY &&
                    ((it->target_sys >= 0 && ex->sys_root[it->target_sys] == fm->root) ||
                     (it->target_sys < 0 && it->unit && root && strcmp(it->unit, root->category) == 0 &&
                      (sentence_has_family(ex, si, fm) || last_named_alone(ex, ci, fm) >= 0))))
                    counted = 1;
                if (it->type == IT_MONEY)
                    money = 1;
                if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM && sys_of(ex, it->idx)->variant_of &&
                    ex->sys_root[it->idx] == fm->root && !variant)
                    variant = sys_of(ex, it->idx)->id;
                const char *iso3;
                if (!buyer && country_of_item(ex, it, &iso3) == 2 && root && strcmp(iso3, root->origin) != 0)
                    buyer = iso3;
            }
        }
        if (!counted)
            continue;
        /* "Hanwha is also delivering 54 K9 guns to Romania": another buyer's
         * count with no deal word in its sentence is background, no deal */
        if (buyer && dealish && nb < DS_MAX_SPLIT) {
            int dup = 0;
            for (int i = 0; i < nb; i++)
                dup |= strcmp(buyers[i], buyer) == 0;
            if (!dup) {
                buyers[nb] = buyer;
                by_buyer[nb++] = (int)si;
            }
        }
        if (variant && money && nv < DS_MAX_SPLIT) {
            int dup = 0;
            for (int i = 0; i < nv; i++)
                dup |= strcmp(variants[i], variant) == 0;
            if (!dup) {
                variants[nv] = variant;
                by_variant[nv++] = (int)si;
            }
        }
    }
    if (nb >= 2) {
        memcpy(anchors, by_buyer, sizeof(int) * (size_t)nb);
        return nb;
    }
    if (nv >= 2) {
        memcpy(anchors, by_variant, sizeof(int) * (size_t)nv);
        return nv;
    }
    return 0;
}

/* ---- text fingerprint ---------------------------------------------------- */

/* One-permutation MinHash with one bit per bin: each word 3-shingle is hashed
 * once, the top 6 bits pick one of 64 bins, each bin keeps its minimum, and
 * the fingerprint holds the lowest bit of every bin's minimum. Two texts with
 * shingle Jaccard similarity J differ in about 64 * (1 - J) / 2 bits, so a
 * syndicated copy with a new headline and a tag line (J ~ 0.85) differs in
 * ~5 bits while unrelated texts differ in ~32. An empty bin counts as 0. */
uint64_t ds_simhash(const char *f, size_t len)
{
    uint64_t mins[64];
    for (int b = 0; b < 64; b++)
        mins[b] = UINT64_MAX;
    uint64_t w0 = 0, w1 = 0, w2 = 0; /* hashes of the last three words */
    int nw = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && !is_alnum(f[i]))
            i++;
        size_t s = i;
        /* each word hashed as it is measured, inline FNV-1a: words are short */
        uint64_t wh = 0xcbf29ce484222325ULL;
        while (i < len && is_alnum(f[i]))
            wh = (wh ^ (unsigned char)f[i++]) * 0x100000001b3ULL;
        if (i == s)
            break;
        w0 = w1;
        w1 = w2;
        w2 = wh;
        if (++nw < 3)
            continue;
        uint64_t h = w0 ^ ((w1 ^ (w1 >> 31)) * 0x9E3779B97F4A7C15ULL) ^ ((w2 ^ (w2 >> 29)) * 0xC2B2AE3D27D4EB4FULL);
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 32;
        unsigned bin = (unsigned)(h >> 58);
        uint64_t rest = h << 6;
        if (rest < mins[bin])
            mins[bin] = rest;
    }
    uint64_t out = 0;
    for (int b = 0; b < 64; b++)
        if (mins[b] != UINT64_MAX && (mins[b] >> 6 & 1))
            out |= (uint64_t)1 << b;
    return out;
}

static void debug_dump(const ds_extractor *ex)
{
    static const char *const types[] = {"ent", "cue", "num", "money", "qty", "year", "date", "mod"};
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        fprintf(stderr, "clause %zu (sent %d)%s cues=%llx deal=%d: %.*s\n", ci, c->sent, c->context ? " CONTEXT" : "",
                (unsigned long long)c->cues, clause_is_deal(c), c->end - c->start, ex->fold + c->start);
        for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
            const item *it = &ex->items[k];
            fprintf(stderr, "   %-5s %.*s num=%g cue=%d%s\n", types[it->type], it->end - it->start, ex->fold + it->start,
                    it->num, it->cue, it->used ? " used" : "");
        }
    }
}

/* "follows the first executive contract for 212 K9s signed in August last
 * year, and brings the number ordered to 364 of the 672 set out in the
 * framework agreement": a recall clause (items ci0.. starting with a clause
 * word) that recalls an executive contract, then after ", and" the framework
 * above it, recalls two deals. Returns the folded offset where the second
 * part starts when item k is the first item after such a ", and", else -1. */
static int coordinated_recall(const ds_extractor *ex, size_t ci0, size_t k)
{
    const item *it = ex->items;
    if (k <= ci0 || it[ci0].type != IT_CUE || it[ci0].cue != CUE_CLAUSE)
        return -1;
    int gap = it[k].start - it[k - 1].end, at = -1;
    for (int p = it[k - 1].end; p + 6 <= it[k].start && gap < 64; p++)
        if (memcmp(ex->fold + p, ", and ", 6) == 0)
            at = p + 2;
    if (at < 0)
        return -1;
    int exec = 0;
    for (size_t j = ci0; j < k; j++) {
        if (it[j].type == IT_CUE &&
            (it[j].cue == CUE_FRAMEWORK || (it[j].cue == CUE_CLAUSE && lexicon[it[j].idx].val == CLAUSE_FRAMEWORK)))
            return -1;
        exec |= it[j].type == IT_CUE && (it[j].cue == CUE_EXECUTIVE || it[j].cue == CUE_FIRST);
    }
    if (!exec)
        return -1;
    for (size_t j = k; j < ex->nitems && !(it[j].type == IT_CUE && it[j].cue == CUE_CLAUSE); j++)
        if (it[j].type == IT_CUE && it[j].cue == CUE_FRAMEWORK)
            return at;
    return -1;
}

/* "Poland signed framework agreements in July for K2 tanks ..., and
 * executive contracts for 180 tanks ... followed in August": a clause
 * (items ci0..k-1) that signs a framework and no executive contract,
 * coordinated by ", and" with an executive contract at item k, reports two
 * steps, each its own clause. Returns the offset of the "and" to cut at,
 * or -1. */
static int framework_then_executive(const ds_extractor *ex, size_t ci0, size_t k)
{
    const item *it = ex->items;
    if (k <= ci0 || it[k].type != IT_CUE || it[k].cue != CUE_EXECUTIVE)
        return -1;
    int at = -1;
    for (int p = it[k - 1].end; p + 6 <= it[k].start && it[k].start - it[k - 1].end < 64; p++)
        if (memcmp(ex->fold + p, ", and ", 6) == 0)
            at = p + 2;
    if (at < 0)
        return -1;
    int framework = 0, signed_ = 0;
    for (size_t j = ci0; j < k; j++) {
        if (it[j].type != IT_CUE)
            continue;
        if (it[j].cue == CUE_EXECUTIVE || it[j].cue == CUE_CLAUSE)
            return -1;
        framework |= it[j].cue == CUE_FRAMEWORK;
        signed_ |= it[j].cue == CUE_SIGNED;
    }
    return framework && signed_ ? at : -1;
}

/* "said during the ceremony in Morag, which also saw the signing of the
 * first K2 tank contract": an aside (item k, "which also ...") that names a
 * system its sentence (items first..end) names nowhere else, and has no
 * number, reports a side event, not the article's news. Other asides
 * ("which also covers 36 K10 vehicles") stay part of their clause. */
static int aside(const ds_extractor *ex, size_t first, size_t end, size_t k)
{
    const item *it = ex->items;
    if (it[k].type != IT_CUE || it[k].cue != CUE_CLAUSE || lexicon[it[k].idx].val != CLAUSE_ASIDE)
        return 0;
    size_t stop = k + 1;
    int own = -1;
    for (; stop < end && !(it[stop].type == IT_CUE && it[stop].cue == CUE_CLAUSE); stop++) {
        if (it[stop].type == IT_NUM)
            return 0;
        if (it[stop].type == IT_ENT && it[stop].ent_kind == DS_ENT_SYSTEM)
            own = ex->sys_root[it[stop].idx];
    }
    if (own < 0)
        return 0;
    for (size_t j = first; j < end; j++)
        if ((j < k || j >= stop) && it[j].type == IT_ENT && it[j].ent_kind == DS_ENT_SYSTEM &&
            ex->sys_root[it[j].idx] == own)
            return 0;
    return 1;
}

/* The primaries of context mention m's family follow the earlier deal m. */
static void relate_primaries(ds_extractor *ex, size_t nprim, const ds_mention *m)
{
    for (size_t p = 0; p < nprim; p++) {
        ds_mention *pm = &ex->out[p];
        if (strcmp(pm->family, m->family) != 0 || pm->nrels >= DS_MAX_RELS)
            continue;
        if (m->stage != DS_STAGE_FRAMEWORK && pm->batch && m->batch > pm->batch)
            continue; /* a later batch recalled in delivery news of an earlier one */
        ds_relation rel = m->stage == DS_STAGE_FRAMEWORK ? DS_REL_EXECUTES_FRAMEWORK : DS_REL_NEXT_BATCH;
        int merged = 0;
        for (int r = 0; r < pm->nrels; r++)
            if (pm->rels[r].relation == rel && !pm->rels[r].year) {
                pm->rels[r].year = m->signing_year;
                pm->rels[r].quantity = m->quantity;
                if (m->batch)
                    pm->rels[r].batch = m->batch;
                merged = 1;
            }
        if (!merged)
            pm->rels[pm->nrels++] = (ds_relhint){rel, "", m->signing_year, m->quantity, m->batch};
    }
}

/* Gives m its mention id: the hash of "ARTICLE|ROLE|FAMILY|ORDINAL" (role
 * 'p' or 'c'), joined by hand (this runs for every mention, and a format
 * string costs more than the hash), truncated at 255 bytes; then counts
 * the ordinal on. */
static void name_mention(const ds_article *a, char role, ds_mention *m, int *ordinal)
{
    char idbuf[256];
    size_t n = 0;
    const char *parts[2] = {a->id ? a->id : "", m->family};
    for (int p = 0; p < 2; p++) {
        size_t l = strlen(parts[p]);
        if (l > sizeof idbuf - 1 - n)
            l = sizeof idbuf - 1 - n;
        memcpy(idbuf + n, parts[p], l);
        n += l;
        const char sep[3] = {'|', role, '|'};
        size_t sl = p == 0 ? 3 : 1;
        if (sl > sizeof idbuf - 1 - n)
            sl = sizeof idbuf - 1 - n;
        memcpy(idbuf + n, sep, sl);
        n += sl;
    }
    char digits[12];
    int nd = 0;
    unsigned v = (unsigned)(*ordinal)++;
    do
        digits[nd++] = (char)('0' + v % 10);
    while ((v /= 10) && nd < (int)sizeof digits);
    while (nd > 0 && n < sizeof idbuf - 1)
        idbuf[n++] = digits[--nd];
    ds_hex64(ds_hash64(idbuf, n, 0), m->mention_id);
}

/* Gives context mention m its block key and id. */
static void name_context(const ds_article *a, ds_mention *m, int *ordinal)
{
    ds_mention_block_key(m);
    name_mention(a, 'c', m, ordinal);
}

/* Makes m a context mention of family (whose root system is root) bought
 * by buyer from the system's origin. */
static void context_init(ds_mention *m, const char *family, const ds_system *root, const char *buyer)
{
    m->role = DS_ROLE_CONTEXT;
    ds_strlcpy(m->family, family, sizeof m->family);
    ds_strlcpy(m->system, root->id, sizeof m->system);
    ds_strlcpy(m->seller, root->origin, sizeof m->seller);
    ds_strlcpy(m->buyer, buyer, sizeof m->buyer);
}

/* One context mention per contract of each list of earlier executive
 * contracts of family fm (distributive). Returns 0, or -2 when out of
 * memory. */
static int distribute(ds_extractor *ex, const ds_article *a, const fam *fm, size_t nprim, int *ordinal)
{
    const ds_system *root = fam_root(ex, fm);
    if (!root)
        return 0;
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        int64_t qtys[DS_MAX_DISTRIB];
        int years[DS_MAX_DISTRIB], first_batch, n;
        if (!c->context || c->table || context_stage(c) != DS_STAGE_EXECUTIVE || !(c->cues & context_deal_cues) ||
            !context_family(ex, ci, fm) || !(n = distributive(ex, c, fm, qtys, years, &first_batch)))
            continue;
        /* the buyer: the news's of this family, else the news's */
        const char *buyer = NULL;
        for (size_t p = 0; p < nprim; p++)
            if (strcmp(ex->out[p].family, fm->family) == 0 && ex->out[p].buyer[0])
                buyer = ex->out[p].buyer;
        if (!buyer && nprim)
            buyer = ex->out[0].buyer;
        if (!buyer || !buyer[0])
            continue;
        char buyer_iso[sizeof ex->out[0].buyer];
        ds_strlcpy(buyer_iso, buyer, sizeof buyer_iso);
        for (int j = 0; j < n; j++) {
            ds_mention *m;
            if (push_mention(ex, &m))
                return -2;
            context_init(m, fm->family, root, buyer_iso);
            set_category(ex, fm, m);
            m->stage = DS_STAGE_EXECUTIVE;
            m->status = DS_STATUS_SIGNED;
            m->quantity = qtys[j];
            m->signing_year = years[j];
            m->batch = first_batch ? first_batch + j : 0;
            set_evidence(ex, m, "stage", c);
            relate_primaries(ex, nprim, m);
            name_context(a, m, ordinal);
        }
    }
    return 0;
}

/* ---- driver ---------------------------------------------------------------- */

/* Folds the body into ex->fold (with its byte map) and sets ex->flen.
 * Returns 0, -1 with a message naming the byte offset when the body is not
 * valid UTF-8, or -2 when out of memory. */
static int fold_body(ds_extractor *ex, const ds_article *a, char *err, size_t errlen)
{
    if (a->len + 1 > ex->foldcap) {
        size_t cap = a->len + 1 > 4096 ? a->len + 1 : 4096;
        char *nf = realloc(ex->fold, cap);
        if (!nf)
            return -2;
        ex->fold = nf;
        unsigned *nm = realloc(ex->map, cap * sizeof *nm);
        if (!nm)
            return -2;
        ex->map = nm;
        ex->foldcap = cap;
    }
    size_t bad = 0;
    long flen = ds_fold(a->body, a->len, ex->fold, ex->foldcap, ex->map, &bad);
    if (flen < 0) {
        snprintf(err, errlen, "article %s: invalid UTF-8 at byte %zu of the body", a->id ? a->id : "?", bad);
        return -1;
    }
    ex->flen = (int)flen;
    ex->fold[flen] = '\0';
    ex->map[flen] = (unsigned)a->len;
    return 0;
}

/* The folded text from p to q is the auxiliary of a perfect ("Poland has
 * ordered", "states have already bought"). */
static int perfect_at(const char *f, int p, int q)
{
    static const char *const perfect[] = {" has ", " have ", " had ", " has already ", " have already "};
    for (size_t i = 0; i < sizeof perfect / sizeof perfect[0]; i++) {
        int n = (int)strlen(perfect[i]);
        if (q - p == n && memcmp(f + p, perfect[i], (size_t)n) == 0)
            return 1;
    }
    return 0;
}

/* "..., while Estonia and Latvia have ordered IRIS-T SLM": a clause after
 * the first of its sentence whose signing verb is a perfect with a country
 * just before it, and that gives no count, sum or date, states what other
 * buyers already have: a recall. */
static int bare_perfect_purchase(const ds_extractor *ex, const clause *cc)
{
    int perfect = 0;
    for (int k = cc->first_item; k < cc->first_item + cc->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_QTY || it->type == IT_MONEY || it->type == IT_DATE || it->type == IT_YEAR)
            return 0;
        if (it->type == IT_CUE && it->cue == CUE_SIGNED && k > cc->first_item) {
            const item *b = &ex->items[k - 1];
            perfect |= b->type == IT_ENT && b->ent_kind == DS_ENT_COUNTRY && perfect_at(ex->fold, b->end, it->start);
        }
    }
    return perfect;
}

/* ", which Poland has ordered in two contracts": item k is a country that
 * opens a relative clause whose verb, in the perfect, signs; the clause
 * recalls what that buyer already bought. */
static int relative_recall(const ds_extractor *ex, size_t k)
{
    const item *it = &ex->items[k];
    if (k + 1 >= ex->nitems || it->type != IT_ENT || it->ent_kind != DS_ENT_COUNTRY)
        return 0;
    const char *f = ex->fold;
    static const char *const opens[] = {", which ", ", which the "};
    int opened = 0;
    for (size_t i = 0; i < sizeof opens / sizeof opens[0]; i++) {
        int n = (int)strlen(opens[i]);
        opened |= it->start >= n && memcmp(f + it->start - n, opens[i], (size_t)n) == 0;
    }
    const item *v = &ex->items[k + 1];
    return opened && v->type == IT_CUE && v->cue == CUE_SIGNED && perfect_at(f, it->end, v->start);
}

/* Cuts sentence si (its items from item first on) into clauses where a
 * clause cue introduces an earlier deal, after ", and" between two recalls
 * (coordinated_recall), before a side event's aside and before a relative
 * clause recalling a purchase (relative_recall). Returns 0 or -2. */
/* "... for 24 F-16 jets from Denmark, worth $300 million, and separately
 * ordered six Stryker vehicles": item k is a buying or signing verb that
 * opens a second predicate of the same subject, after ", and" (and
 * perhaps "separately", "also", "then"), once the clause from ci0 has
 * named a system: a clause of its own, whose sums and counts are its
 * own. */
static int coordinated_predicate(const ds_extractor *ex, size_t ci0, size_t k)
{
    static const char *const joins[] = {", and ", ", and separately ", ", and also ", ", and then ",
                                        " and separately ", " and also "};
    const item *it = &ex->items[k];
    if (k <= ci0 || it->type != IT_CUE || !(it->cue == CUE_SIGNED || buys_word(it)))
        return 0;
    int named = 0;
    for (size_t j = ci0; j < k && !named; j++)
        named = ex->items[j].type == IT_ENT && ex->items[j].ent_kind == DS_ENT_SYSTEM;
    if (!named)
        return 0;
    int gap = it->start - ex->items[k - 1].end;
    const char *f = ex->fold + ex->items[k - 1].end;
    for (size_t i = 0; i < sizeof joins / sizeof joins[0]; i++)
        if (gap == (int)strlen(joins[i]) && memcmp(f, joins[i], (size_t)gap) == 0)
            return 1;
    return 0;
}

static int cut_clauses(ds_extractor *ex, size_t si, size_t first)
{
    int cs = ex->sents[si].start, e = ex->sents[si].end;
    size_t ci0 = first;
    ex->sents[si].c0 = (int)ex->nclauses;
    int coord = 0, side = 0, rel_close = -1;
    for (size_t k = first; k <= ex->nitems; k++) {
        int last = k == ex->nitems;
        int at = last ? -1 : coordinated_recall(ex, ci0, k);
        if (!last && at < 0)
            at = framework_then_executive(ex, ci0, k);
        int cut = !last && ex->items[k].type == IT_CUE && ex->items[k].cue == CUE_CLAUSE && ex->items[k].start > cs;
        int as = cut && lexicon[ex->items[k].idx].val == CLAUSE_ASIDE;
        if (as && !aside(ex, first, ex->nitems, k))
            cut = 0;
        if (!last && !cut && k > first && relative_recall(ex, k))
            cut = as = 1;
        if (!last && !cut && rel_close >= 0 && ex->items[k].start > rel_close) {
            cut = 1; /* the main clause goes on after the relative one */
            rel_close = -1;
        }
        if (!last && !cut && at < 0 && coordinated_predicate(ex, ci0, k))
            cut = 1;
        int close = last || cut || k == first ? -1 : relative_purchase(ex, k, e);
        if (close >= 0) {
            cut = as = 1;
            rel_close = close;
        }
        if (!last && at < 0 && !cut)
            continue;
        int ce = last ? e : at >= 0 ? at : ex->items[k].start;
        GROW(ex->clauses, ex->nclauses, ex->clausecap);
        ex->clauses[ex->nclauses++] = (clause){.start = cs, .end = ce, .sent = (int)si, .coordinated = coord,
                                               .aside = side, .first_item = (int)ci0, .nitems = (int)(k - ci0)};
        cs = ce;
        ci0 = k;
        coord = at >= 0;
        side = as;
    }
    ex->sents[si].c1 = (int)ex->nclauses;
    return 0;
}

/* Sets clause cc's cue bits and has_qty / recalled_month from its items. */
/* The verb at folded offset p is put in the future: "will", "to be",
 * "expected to", "due to", "scheduled to" lead it. */
static int future_verb(const char *f, int p)
{
    static const char *const leads[] = {"will ", "will be ", "would be ", "to be ", "expected to ", "due to ",
                                        "scheduled to ", "set to ", "are to ", "is to ", "will start to "};
    for (size_t i = 0; i < sizeof leads / sizeof leads[0]; i++) {
        int n = (int)strlen(leads[i]);
        if (p >= n && memcmp(f + p - n, leads[i], (size_t)n) == 0)
            return 1;
    }
    return 0;
}

/* "will be kept in service until the new submarines arrive": delivery
 * item it of clause cc is the verb of a clause of time ("until", "before")
 * a few words before it; what is awaited has not come. */
static int awaited_delivery(const ds_extractor *ex, const clause *cc, const item *it)
{
    static const char *const subs[] = {" until ", " before ", " till "};
    int lo = it->start - 40 > cc->start ? it->start - 40 : cc->start;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (find_in(ex->fold + lo, (size_t)(it->start - lo), subs[i], strlen(subs[i])))
            return 1;
    return 0;
}

/* Item k of clause cc ("agreed") is followed, a few words on, by "to" and
 * a deal verb ("agreed in February to buy 12 ANKA drones"). */
static int agrees_to_buy(const ds_extractor *ex, const clause *cc, int k)
{
    const item *it = &ex->items[k];
    for (int j = k + 1; j < cc->first_item + cc->nitems && ex->items[j].start - it->end < 40; j++) {
        const item *x = &ex->items[j];
        if (x->type == IT_CUE && x->cue == CUE_DEAL && x->start >= 3 && memcmp(ex->fold + x->start - 3, "to ", 3) == 0)
            return 1;
    }
    return 0;
}

/* Option item it means the choices a buyer weighs ("evaluating options
 * including NASAMS", "options such as"), not an option of a contract. */
static int choices_not_option(const ds_extractor *ex, const item *it)
{
    static const char *const before[] = {"evaluating ", "considering ", "weighing ", "studying ", "several ", "other "};
    static const char *const after[] = {" including ", " such as ", " like "};
    const char *f = ex->fold;
    if (ends_with_any(f, it->start, before, sizeof before / sizeof before[0]))
        return 1;
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++) {
        int n = (int)strlen(after[i]);
        if (it->end + n <= ex->flen && memcmp(f + it->end, after[i], (size_t)n) == 0)
            return 1;
    }
    return 0;
}

/* The year item k of clause cc names a contract rather than the time of
 * the clause's event: a deal noun follows it ("under a 2022 contract") or a
 * signing verb leads it ("awarded in 2023"). */
static int contract_year(const ds_extractor *ex, const clause *cc, int k)
{
    const item *it = &ex->items[k];
    int end = cc->first_item + cc->nitems;
    if (k + 1 < end && ex->items[k + 1].type == IT_CUE && ex->items[k + 1].cue == CUE_DEAL &&
        ex->items[k + 1].start - it->end == 1)
        return 1;
    return k >= cc->first_item + 2 && ex->items[k - 1].type == IT_CUE && ex->items[k - 1].cue == CUE_IN &&
           ex->items[k - 2].type == IT_CUE && ex->items[k - 2].cue == CUE_SIGNED &&
           it->start - ex->items[k - 2].end <= 4;
}

/* Item k of clause cc is a verb of receiving whose object is a deal noun
 * ("receives order", "received a contract"): what is received is the
 * contract, not the goods. */
static int receives_a_deal(const ds_extractor *ex, const clause *cc, int k)
{
    const item *it = &ex->items[k];
    if (it->type != IT_CUE || it->cue != CUE_DELIVERY || k + 1 >= cc->first_item + cc->nitems)
        return 0;
    const item *nx = &ex->items[k + 1];
    int gap = nx->start - it->end;
    const char *f = ex->fold + it->end;
    return nx->type == IT_CUE && nx->cue == CUE_DEAL &&
           (gap == 1 || (gap == 3 && !memcmp(f, " a ", 3)) || (gap == 4 && !memcmp(f, " an ", 4)) ||
            (gap == 5 && !memcmp(f, " new ", 5)) || (gap == 5 && !memcmp(f, " the ", 5)));
}

/* "In the 2010s Jakarta signed for 11 Su-35": clause cc names, before its
 * signing verb, a decade that ended before publication year pubyear (one
 * named later may date only a relative clause: "the Mirage 2000 it bought
 * in the 1990s"). */
static int past_decade(const ds_extractor *ex, const clause *cc, int pubyear)
{
    const char *f = ex->fold;
    int verb = -1, delivered = 0;
    for (int k = cc->first_item; k < cc->first_item + cc->nitems && verb < 0; k++) {
        if (ex->items[k].type == IT_CUE && ex->items[k].cue == CUE_SIGNED)
            verb = ex->items[k].start;
        delivered |= ex->items[k].type == IT_CUE && ex->items[k].cue == CUE_DELIVERY;
    }
    if (verb < 0 && delivered)
        verb = cc->end; /* "the boats delivered in the late 1980s": a delivery long past */
    for (int p = cc->start; pubyear && p + 5 <= verb; p++) {
        if (f[p + 4] != 's' || f[p + 3] != '0' || (p > 0 && is_alnum(f[p - 1])) ||
            (p + 5 < ex->flen && is_alnum(f[p + 5])))
            continue;
        int y = 0, digits = 1;
        for (int q = p; q < p + 4; q++) {
            digits &= isdigit((unsigned char)f[q]) != 0;
            y = y * 10 + (f[q] - '0');
        }
        if (digits && y >= 1900 && y + 9 < pubyear)
            return 1;
    }
    return 0;
}

/* Item k of clause cc is "initial" qualifying no deal, batch, count or
 * system ("an initial period of sustainment", not "the initial contract"
 * or "the initial 24 jets"). */
static int initial_of_no_deal(const ds_extractor *ex, const clause *cc, int k)
{
    const item *it = &ex->items[k];
    if (it->type != IT_CUE || it->cue != CUE_CONTEXT || strcmp(cue_lex(it)->text, "initial") != 0)
        return 0;
    if (k + 1 >= cc->first_item + cc->nitems)
        return 1;
    const item *nx = &ex->items[k + 1];
    if (nx->start - it->end > 16)
        return 1;
    return !(nx->type == IT_QTY || nx->type == IT_NUM || (nx->type == IT_ENT && nx->ent_kind == DS_ENT_SYSTEM) ||
             (nx->type == IT_CUE && (nx->cue == CUE_DEAL || nx->cue == CUE_BATCHWORD || nx->cue == CUE_EXECUTIVE ||
                                     nx->cue == CUE_FRAMEWORK || nx->cue == CUE_UNIT)));
}

static void clause_cues(ds_extractor *ex, clause *cc, pubdate pd)
{
    int concluded = 0, talks = 0, past_year = 0, event_year = 0, more = 0;
    for (int k = cc->first_item; k < cc->first_item + cc->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_CUE && it->cue == CUE_SIGNED && cue_lex(it)->val == LEX_SIGNS_UNLESS_TALKS)
            concluded = 1;
        else if (receives_a_deal(ex, cc, k))
            cc->cues |= BIT(CUE_SIGNED); /* "Diehl receives order": the seller wins it */
        else if (it->type == IT_CUE && it->cue == CUE_DELIVERY &&
                 (future_verb(ex->fold, it->start) || awaited_delivery(ex, cc, it)))
            ; /* "are expected to arrive in 2026", "will be delivered from 2027": not yet */
        else if (initial_of_no_deal(ex, cc, k))
            ; /* "an initial period of sustainment" recalls nothing */
        else if (it->type == IT_CUE && it->cue == CUE_SIGNED && cue_lex(it)->val == LEX_AGREES_TO)
            cc->cues |= agrees_to_buy(ex, cc, k) ? BIT(CUE_SIGNED) : 0;
        else if (it->type == IT_CUE && it->cue == CUE_FRAMEWORK && it->start >= 7 &&
                 memcmp(ex->fold + it->start - 7, "offset ", 7) == 0)
            ; /* "an offset framework": industrial compensation, not the deal's stage */
        else if (it->type == IT_CUE && it->cue == CUE_OPTION && choices_not_option(ex, it))
            ; /* "still evaluating options including NASAMS": choices, no contract's option */
        else if (it->type == IT_CUE && it->cue)
            cc->cues |= BIT(it->cue);
        if (it->type == IT_CUE && (it->cue == CUE_INTENT || it->cue == CUE_PLANNED) && cue_lex(it)->val == LEX_TALKS)
            talks = 1;
        if (it->type == IT_CUE && it->cue == CUE_CLAUSE && cue_lex(it)->val == CLAUSE_FRAMEWORK)
            cc->cues |= BIT(CUE_FRAMEWORK);
        if (it->type == IT_QTY)
            cc->has_qty = 1;
        if (it->type == IT_YEAR && pd.year && it->num < pd.year) {
            past_year = 1;
            event_year |= !contract_year(ex, cc, k);
        }
        /* "12 more", "18 additional": a count that adds to an earlier deal */
        if (it->type == IT_CUE && it->cue == CUE_ANOTHER && k > cc->first_item &&
            (ex->items[k - 1].type == IT_NUM || ex->items[k - 1].type == IT_QTY) && it->start - ex->items[k - 1].end <= 1)
            more = 1;
        if (it->type == IT_DATE && pd.day != DS_NO_DATE && it->date < pd.day - 180)
            cc->context = 1;
        /* "signed ... in October" in a February article: a month
         * named without its year, three or more months back */
        if (it->type == IT_CUE && it->cue == CUE_MONTH && pd.year && k > cc->first_item &&
            ex->items[k - 1].type == IT_CUE && ex->items[k - 1].cue == CUE_IN &&
            ((int)((pd.month - (int)it->num + 12) % 12) >= 3 ||
             ((int)it->num > pd.month && (int)((pd.month - (int)it->num + 12) % 12) >= 2)))
            cc->recalled_month = 1; /* or two months back, in the year before ("in December" in February) */
        /* "approved the possible sale last June": a month named with "last" is past */
        if (it->type == IT_CUE && it->cue == CUE_MONTH && pd.year && it->start >= 5 &&
            memcmp(ex->fold + it->start - 5, "last ", 5) == 0)
            cc->recalled_month = 1;
    }
    /* "concluded a contract" signs; "concluded final talks" only plans */
    if (concluded)
        cc->cues |= talks ? BIT(CUE_PLANNED) : BIT(CUE_SIGNED);
    /* a past year recalls an earlier deal, unless the clause exercises an
     * option of it or orders more ("exercised the option in its 2023
     * contract, ordering 12 more"): the year is the parent's, the order news */
    /* a delivery or cancellation the lead reports, of a contract the year
     * only names ("delivered under a 2022 contract", "cancelled the contract
     * awarded in 2023"), is news */
    if (past_year && !event_year && cc->sent <= 1 && (cc->cues & (BIT(CUE_DELIVERY) | BIT(CUE_CANCEL))))
        past_year = 0;
    if ((past_year || past_decade(ex, cc, pd.year)) && !(cc->cues & BIT(CUE_EXERCISE)) && !(more && cc->has_qty))
        cc->context = 1;
}

/* "was awarded a $297 million modification to a previously awarded
 * contract": every recall word of clause cc comes after its amendment or
 * option word, so it names the contract changed, and the change is news. */
static int recall_names_parent(const ds_extractor *ex, const clause *cc)
{
    int change = 0;
    for (int k = cc->first_item; k < cc->first_item + cc->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type != IT_CUE)
            continue;
        if (it->cue == CUE_AMENDMENT || it->cue == CUE_EXERCISE)
            change = 1;
        else if (it->cue == CUE_CONTEXT && !change)
            return 0;
    }
    return change;
}

/* "Doha signed with Washington in June for 36 F-15QA, and is due to
 * conclude with London for 24 Typhoons": clause cc signs, and names the
 * month, before any word that plans or intends; the signing is a recall
 * whatever the rest of the clause plans. */
static int signed_in_month_before_plan(const ds_extractor *ex, const clause *cc)
{
    int signed_at = -1, month_at = -1;
    for (int k = cc->first_item; k < cc->first_item + cc->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type != IT_CUE)
            continue;
        if (it->cue == CUE_PLANNED || it->cue == CUE_INTENT)
            return signed_at >= 0 && month_at >= 0;
        if (it->cue == CUE_SIGNED && signed_at < 0)
            signed_at = k;
        if (it->cue == CUE_MONTH && k > cc->first_item && ex->items[k - 1].type == IT_CUE &&
            ex->items[k - 1].cue == CUE_IN)
            month_at = k;
    }
    return 0;
}

/* Whether clause c (the one after the sentence's first clause when
 * not_first) recalls an earlier deal rather than reporting news: a past
 * month or year, a context word, the second part of a coordinated recall,
 * an aside, a framework named in a subordinate clause ("..., the first
 * executive contract under the framework agreement"). */
/* "Poland has ordered 290 Homar-K launchers in two contracts, for 218 and
 * 72 vehicles": a state's perfect-tense purchase totalled over a stated
 * number of contracts sums earlier deals; it is no news of its own. */
static int perfect_total(const ds_extractor *ex, const clause *cc)
{
    int end = cc->first_item + cc->nitems, spread = 0;
    for (int k = cc->first_item; k + 1 < end && !spread; k++) {
        const item *n = &ex->items[k], *d = &ex->items[k + 1];
        spread = n->type == IT_NUM && n->num >= 2 && n->num <= DS_MAX_DISTRIB && n->start >= 4 &&
                 memcmp(ex->fold + n->start - 4, " in ", 4) == 0 && d->type == IT_CUE && d->cue == CUE_DEAL &&
                 d->start - n->end == 1; /* "in two contracts" */
    }
    for (int k = cc->first_item + 1; spread && k < end; k++) {
        const item *it = &ex->items[k], *b = &ex->items[k - 1];
        if (it->type == IT_CUE && (it->cue == CUE_SIGNED || buys_word(it)) && b->type == IT_ENT &&
            b->ent_kind == DS_ENT_COUNTRY && perfect_at(ex->fold, b->end, it->start))
            return 1;
    }
    return 0;
}

static int clause_recalls(const ds_extractor *ex, const clause *cc, int not_first)
{
    if (cc->context)
        return 1;
    if (cc->recalled_month && (cc->cues & BIT(CUE_SIGNED)) &&
        (!(cc->cues & (BIT(CUE_PLANNED) | BIT(CUE_INTENT))) || signed_in_month_before_plan(ex, cc)))
        return 1;
    /* "India received the last of its 36 Rafale in December", months ago */
    if (cc->recalled_month && (cc->cues & BIT(CUE_DELIVERY)) && !(cc->cues & (BIT(CUE_PLANNED) | BIT(CUE_INTENT))))
        return 1;
    if ((cc->cues & BIT(CUE_CONTEXT)) && !recall_names_parent(ex, cc))
        return 1;
    if (cc->coordinated && not_first && (cc - 1)->context)
        return 1;
    if (cc->aside)
        return 1;
    if (not_first && bare_perfect_purchase(ex, cc))
        return 1;
    if (perfect_total(ex, cc))
        return 1;
    /* "..., after the UAE's purchase of the Cheongung II": a deal named as a
     * noun after "after"/"following", with no verb that signs or plans it */
    const item *lead = cc->nitems ? &ex->items[cc->first_item] : NULL;
    if (not_first && lead && lead->type == IT_CUE && lead->cue == CUE_CLAUSE && cue_lex(lead)->val == CLAUSE_AFTER &&
        (cc->cues & BIT(CUE_DEAL)) &&
        !(cc->cues & (BIT(CUE_SIGNED) | BIT(CUE_PLANNED) | BIT(CUE_INTENT) | BIT(CUE_EXERCISE) | BIT(CUE_CEREMONY))))
        return 1;
    return not_first && (cc->cues & BIT(CUE_CLAUSE)) && (cc->cues & BIT(CUE_FRAMEWORK)) &&
           !(cc->cues & (BIT(CUE_PLANNED) | BIT(CUE_CEREMONY)));
}

/* Reads sentence si: its items, its clauses, their numbers, modifiers, cues
 * and whether each recalls an earlier deal. Returns 0 or -2. */
/* "Hyundai Rotem will supply the 180 K2GF tanks in a contract worth $3.37
 * billion, while Hanwha will deliver the 212 K9A1 guns for $2.4 billion":
 * a "while" clause cc that names a system and a sum or a count, after a
 * deal clause pv of its sentence that names another, is a parallel deal
 * of the same kind: it takes pv's deal words. */
static void share_parallel_deal(ds_extractor *ex, const clause *pv, clause *cc)
{
    if (pv->context || cc->context || !clause_is_deal(pv) || clause_is_deal(cc) || !cc->nitems)
        return;
    const item *lead = &ex->items[cc->first_item];
    if (lead->type != IT_CUE || lead->cue != CUE_CLAUSE || strcmp(lexicon[lead->idx].text, "while") != 0)
        return;
    int sys = 0, count = 0, prev_sys = 0;
    for (int k = cc->first_item; k < cc->first_item + cc->nitems; k++) {
        sys |= ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_SYSTEM;
        count |= ex->items[k].type == IT_MONEY || ex->items[k].type == IT_QTY;
    }
    for (int k = pv->first_item; k < pv->first_item + pv->nitems; k++)
        prev_sys |= ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_SYSTEM;
    if (sys && count && prev_sys)
        cc->cues |= pv->cues & deal_cues;
}

static int read_sentence(ds_extractor *ex, const char *body, size_t si, pubdate pd)
{
    size_t first = ex->nitems;
    int cl = (int)ex->nclauses;
    if (scan_clause(ex, body, ex->sents[si].start, ex->sents[si].end, cl) || find_designations(ex, body, si, first) ||
        cut_clauses(ex, si, first))
        return -2;
    for (size_t c = (size_t)cl; c < ex->nclauses; c++) {
        clause *cc = &ex->clauses[c];
        size_t a = (size_t)cc->first_item, b = (size_t)(cc->first_item + cc->nitems);
        for (size_t k = a; k < b; k++)
            ex->items[k].clause = (int)c;
        interpret_numbers(ex, body, a, b, pd.day);
        mark_modifiers(ex, body, a, b);
        clause_cues(ex, cc, pd);
        cc->context = clause_recalls(ex, cc, c > (size_t)cl);
        cc->factbox = factbox_row(ex, cc);
        if (c > (size_t)cl)
            share_parallel_deal(ex, &ex->clauses[c - 1], cc);
    }
    return 0;
}

/* "the first batch" recalls an earlier deal only in an article about a
 * later one ("the second batch", "a follow-on contract"); "receives the
 * final tanks of the first batch" is news. */
static void mark_first_batch_recalls(ds_extractor *ex)
{
    int later = 0;
    for (size_t ci = 0; ci < ex->nclauses && !later; ci++) {
        const clause *c = &ex->clauses[ci];
        if (c->context || !clause_is_deal(c))
            continue;
        for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
            const item *it = &ex->items[k];
            if (it->type == IT_CUE && it->cue == CUE_ORDINAL && it->num >= 2 && k + 1 < c->first_item + c->nitems &&
                ex->items[k + 1].type == IT_CUE &&
                (ex->items[k + 1].cue == CUE_BATCHWORD || ex->items[k + 1].cue == CUE_EXECUTIVE ||
                 ex->items[k + 1].cue == CUE_DEAL))
                later = 1;
            if (it->type == IT_CUE && it->cue == CUE_EXECUTIVE && strncmp(lexicon[it->idx].text, "follow", 6) == 0)
                later = 1;
        }
    }
    for (size_t ci = 0; later && ci < ex->nclauses; ci++)
        if ((ex->clauses[ci].cues & BIT(CUE_FIRST)) && !(ex->clauses[ci].cues & BIT(CUE_DELIVERY)))
            ex->clauses[ci].context = 1;
}

/* An article whose lead reports a signed contract recalls its approval or
 * selection as an earlier step ("below the ceiling the State Department
 * approved in February", "Hanwha was selected as preferred tenderer in
 * July"). */
static void mark_earlier_steps(ds_extractor *ex)
{
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        if (!clause_is_deal(c) || c->context)
            continue;
        if ((c->cues & BIT(CUE_SIGNED)) && !(c->cues & (BIT(CUE_APPROVAL) | BIT(CUE_SELECTION) | BIT(CUE_PLANNED))))
            for (size_t cj = ci + 1; cj < ex->nclauses; cj++)
                if ((ex->clauses[cj].cues & (BIT(CUE_APPROVAL) | BIT(CUE_SELECTION))) &&
                    !(ex->clauses[cj].cues & BIT(CUE_SIGNED) && !(ex->clauses[cj].cues & BIT(CUE_APPROVAL))))
                    ex->clauses[cj].context = 1;
        break; /* only the lead decides */
    }
}

/* The munitions and sensors of a platform's contract are parts of it: a
 * catalog missile, rocket, radar or other store (bombs, shells) (item it of
 * clause c) listed after a
 * system of another kind, in a clause with fewer sums than systems ("96
 * AH-64E helicopters; 1,844 Hellfire missiles; 508 JAGM missiles"; "72
 * launchers with CTM-290 missiles"). */
static int munition_accessory(const ds_extractor *ex, const clause *c, const item *it)
{
    const char *cat = sys_of(ex, it->idx)->category;
    if (strcmp(cat, "missile") != 0 && strcmp(cat, "rocket") != 0 && strcmp(cat, "radar") != 0 &&
        strcmp(cat, "other") != 0)
        return 0;
    int before = 0, nsys = 0, nmoney = 0, last = -1;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *x = &ex->items[k];
        nmoney += x->type == IT_MONEY;
        if (x->type != IT_ENT || x->ent_kind != DS_ENT_SYSTEM || ex->sys_root[x->idx] == last)
            continue;
        last = ex->sys_root[x->idx];
        nsys++;
        before |= x->start < it->start && strcmp(sys_of(ex, x->idx)->category, cat) != 0;
    }
    return before && nmoney < nsys;
}

/* Clause c names deals in the plural ("framework agreements", "contracts",
 * "orders"), not a total over them ("both contracts"). */
static int names_deals(const ds_extractor *ex, const clause *c)
{
    if (c->cues & BIT(CUE_COMBINED))
        return 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type != IT_CUE || (it->cue != CUE_DEAL && it->cue != CUE_FRAMEWORK && it->cue != CUE_EXECUTIVE))
            continue;
        const char *t = lexicon[it->idx].text;
        size_t n = strlen(t);
        if (n > 4 && t[n - 1] == 's' && t[n - 2] != 's')
            return 1;
    }
    return 0;
}

/* Clause c counts two or more systems each by its own count, and each of
 * another category ("200 Dragon vehicles, 40 SIAC howitzers"): a list of
 * purchases, not one purchase and its parts. */
static int counted_apart(const ds_extractor *ex, const clause *c)
{
    const char *cats[8];
    int n = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *x = &ex->items[k];
        if (x->type != IT_QTY || x->target_sys < 0)
            continue;
        const char *cat = sys_of(ex, x->target_sys)->category;
        for (int i = 0; i < n; i++)
            if (strcmp(cats[i], cat) == 0)
                return 0;
        if (n == 8)
            return 0;
        cats[n++] = cat;
    }
    return n >= 2;
}

/* One contract for several items is one deal: a system outside the
 * catalog (item it of clause c) that the clause lists beside another system
 * is a part of that deal when the clause does not count it ("96 AH-64E
 * Apache helicopters, along with engines, Hellfire and JAGM missiles"), or
 * when another system comes first and the clause has fewer sums than
 * systems ("96 Apache helicopters; 1,844 AGM-114R2 Hellfire missiles; ...").
 * Each with its own price, they are deals of their own. */
static int open_accessory(const ds_extractor *ex, const clause *c, const item *it)
{
    if (it->idx < (int)ex->cat->nsystems)
        return munition_accessory(ex, c, it);
    int other = 0, before = 0, counted = 0, nsys = 0, nmoney = 0, last = -1;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *x = &ex->items[k];
        if (x->type == IT_QTY && x->target_sys >= 0 && ex->sys_root[x->target_sys] == ex->sys_root[it->idx])
            counted = 1;
        /* "approved framework agreements ... to acquire 200 X vehicles, 40 Y
         * howitzers and 12 Z helicopters": several deals, each counted */
        if (counted && names_deals(ex, c) && counted_apart(ex, c))
            return 0;
        nmoney += x->type == IT_MONEY;
        if (x->type != IT_ENT || x->ent_kind != DS_ENT_SYSTEM || ex->sys_root[x->idx] == last)
            continue;
        last = ex->sys_root[x->idx];
        nsys++;
        if (ex->sys_root[x->idx] != ex->sys_root[it->idx]) {
            other = 1;
            before |= x->start < it->start;
        }
    }
    return other && (!counted || (before && nmoney < nsys));
}

/* Every item of family fm in the headline (clause c) names the deal it
 * describes ("third Chunmoo contract"): a deal noun follows it directly. */
static int headline_names_programme(const ds_extractor *ex, const clause *c, const fam *fm)
{
    int seen = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type != IT_ENT || it->ent_kind != DS_ENT_SYSTEM || ex->sys_root[it->idx] != fm->root)
            continue;
        const item *nx = k + 1 < c->first_item + c->nitems ? &ex->items[k + 1] : NULL;
        if (!nx || nx->type != IT_CUE || nx->cue != CUE_DEAL || nx->start - it->end > 1)
            return 0;
        seen = 1;
    }
    return seen;
}

/* A family only the headline reports, as the name of a programme before a
 * deal noun ("third Chunmoo contract"), while the body's deal clauses buy
 * another family (the programme's rockets) and name this one only to
 * describe it ("rockets for the Chunmoo") or in recalls, is not a deal of
 * its own. */
static void drop_headline_programmes(const ds_extractor *ex, fam *fams, int nfams)
{
    int body = 0;
    for (int i = 0; i < nfams; i++)
        body |= fams[i].primary && fams[i].body_primary;
    for (int i = 0; i < nfams && body; i++) {
        if (!fams[i].primary || fams[i].body_primary || fams[i].root < 0)
            continue;
        int programme = 1;
        for (size_t ci = 0; ci < ex->nclauses && programme; ci++) {
            const clause *c = &ex->clauses[ci];
            if (headline(ex, c))
                programme = !clause_has_family(ex, c, &fams[i]) || headline_names_programme(ex, c, &fams[i]);
            else if (!c->context)
                programme = !clause_has_family(ex, c, &fams[i]); /* the body names it only to describe */
        }
        if (programme)
            fams[i].primary = 0;
    }
}

/* "KAI denies signing FA-50 deal with Egypt": when the headline or the
 * first sentence of the body denies a signing of a family, the signings of
 * it the article goes on to report are the claims it denies. */
static void drop_denied(const ds_extractor *ex, fam *fams, int nfams)
{
    for (int i = 0; i < nfams; i++) {
        if (!fams[i].primary)
            continue;
        for (size_t ci = 0; ci < ex->nclauses && ex->clauses[ci].sent <= 1; ci++) {
            const clause *c = &ex->clauses[ci];
            if (!c->context && (c->cues & BIT(CUE_DENIAL)) && clause_has_family(ex, c, &fams[i])) {
                fams[i].primary = 0;
                break;
            }
        }
    }
}

/* "Reports say Egypt will buy up to 100 K2 tanks ... There is no contract":
 * when the article says no contract or agreement exists, a family no deal
 * clause signs, plans, approves, selects or delivers is only talked of. */
static void drop_unsigned_when_none_is(const ds_extractor *ex, fam *fams, int nfams)
{
    int none = 0;
    for (size_t ci = 0; ci < ex->nclauses && !none; ci++) {
        const clause *c = &ex->clauses[ci];
        for (int k = c->first_item; k < c->first_item + c->nitems && !none; k++) {
            const item *it = &ex->items[k];
            none = !c->context && it->type == IT_CUE && it->cue == CUE_NEGATION && strncmp(cue_lex(it)->text, "no ", 3) == 0 &&
                   !(c->cues & BIT(CUE_SIGNED));
        }
    }
    const uint64_t acts = BIT(CUE_SIGNED) | BIT(CUE_PLANNED) | BIT(CUE_APPROVAL) | BIT(CUE_SELECTION) |
                          BIT(CUE_DELIVERY) | BIT(CUE_EXERCISE) | BIT(CUE_LOA) | BIT(CUE_CEREMONY);
    for (int i = 0; i < nfams && none; i++) {
        int acted = 0;
        for (size_t ci = 0; ci < ex->nclauses && fams[i].primary && !acted; ci++) {
            const clause *c = &ex->clauses[ci];
            acted = !c->context && clause_is_deal(c) && (c->cues & acts) && clause_has_family(ex, c, &fams[i]);
        }
        if (!acted)
            fams[i].primary = 0;
    }
}

/* The first fact-box row that names a system ("- System: F-35A"): the
 * box's item. Returns its clause index, or ex->nclauses when none. */
static size_t first_box_system(const ds_extractor *ex)
{
    for (size_t ci = 0; ci < ex->nclauses; ci++)
        if (!ex->clauses[ci].context && ex->clauses[ci].factbox && clause_names_system(ex, &ex->clauses[ci]))
            return ci;
    return ex->nclauses;
}

/* "The Government of Egypt has requested to buy four Sentinel radars; ...":
 * system item it of clause ci lists the package of a sale an earlier
 * approval clause names by another system; a part of that sale. */
static int package_store(const ds_extractor *ex, size_t ci, const item *it)
{
    const clause *c = &ex->clauses[ci];
    static const char *const asks[] = {"requested to buy", "requested to purchase", "requested the sale of"};
    int approved = 0;
    for (size_t cj = 0; cj < ci && !approved; cj++)
        approved = !ex->clauses[cj].context && (ex->clauses[cj].cues & BIT(CUE_APPROVAL));
    int asked = 0;
    for (size_t i = 0; approved && i < sizeof asks / sizeof asks[0] && !asked; i++)
        asked = find_in(ex->fold + c->start, (size_t)(it->start - c->start), asks[i], strlen(asks[i])) != NULL;
    for (size_t cj = 0; asked && cj < ci; cj++) {
        const clause *a = &ex->clauses[cj];
        if (a->context || !(a->cues & BIT(CUE_APPROVAL)))
            continue;
        for (int k = a->first_item; k < a->first_item + a->nitems; k++)
            if (ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_SYSTEM &&
                ex->sys_root[ex->items[k].idx] != ex->sys_root[it->idx])
                return 1;
    }
    return 0;
}

/* "..., and is buying Virginia-class submarines under the AUKUS pact": a
 * clause led by a clause word whose only deal word is a noun names the
 * setting of what its sentence says, not a deal of its own. */
static int names_a_setting(const ds_extractor *ex, const clause *c)
{
    const item *lead = c->nitems ? &ex->items[c->first_item] : NULL;
    return lead && lead->type == IT_CUE && lead->cue == CUE_CLAUSE && (c->cues & deal_cues) == BIT(CUE_DEAL);
}

/* "The deal, estimated at Rs 36,000 crore, is expected to be signed soon":
 * the sentence after sentence si, in its paragraph, opens with a definite
 * deal noun and names no system; it reports the deal sentence si names. */
static int next_sentence_deals(const ds_extractor *ex, int si)
{
    if ((size_t)si + 1 >= ex->nsents)
        return 0;
    const sentence *nx = &ex->sents[si + 1];
    if (nx->c0 >= nx->c1 || !same_paragraph(ex, ex->sents[si].end, nx->start))
        return 0;
    const clause *c = &ex->clauses[nx->c0];
    if (c->context || !clause_is_deal(c) || clause_names_system(ex, c) || !c->nitems)
        return 0;
    const item *lead = &ex->items[c->first_item];
    return lead->type == IT_CUE && lead->cue == CUE_DEAL && lead->start == nx->start + 4 &&
           memcmp(ex->fold + nx->start, "the ", 4) == 0;
}

/* "the price includes the aircraft, Meteor and Exocet weapon packages":
 * system item it of clause ci is a missile or sensor listed after
 * "includes", while another clause reports a deal for a system of
 * another kind: a part of that deal. */
static int included_store(const ds_extractor *ex, size_t ci, const item *it)
{
    const char *cat = sys_of(ex, it->idx)->category;
    const clause *c = &ex->clauses[ci];
    if ((strcmp(cat, "missile") != 0 && strcmp(cat, "radar") != 0 && strcmp(cat, "rocket") != 0) ||
        !find_in(ex->fold + c->start, (size_t)(it->start - c->start), "includ", 6))
        return 0;
    for (size_t cj = 0; cj < ex->nclauses; cj++) {
        const clause *o = &ex->clauses[cj];
        if (cj == ci || o->context || !clause_is_deal(o))
            continue;
        for (int k = o->first_item; k < o->first_item + o->nitems; k++)
            if (ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_SYSTEM &&
                strcmp(sys_of(ex, ex->items[k].idx)->category, cat) != 0)
                return 1;
    }
    return 0;
}

/* Lists the families the article names in fams and marks those reported as
 * news: a deal clause names them, or their sentence has a deal clause that
 * names no system ("Poland has committed to buying 32 F-35A, after the
 * minister signed the letter of acceptance"), or the first fact-box row that
 * names a system does and some deal clause names none. A system only describing
 * another ("the Homar-K framework") is not news, but earlier deals of it may
 * be recalled by count alone. Returns the number of primary families. */
static int find_families(const ds_extractor *ex, fam *fams, int *nfams)
{
    size_t box_system = first_box_system(ex);
    int boxed_deal = 0; /* a deal clause that names no system: the box names it */
    for (size_t ci = 0; ci < ex->nclauses && box_system < ex->nclauses; ci++)
        boxed_deal |= !ex->clauses[ci].context && clause_is_deal(&ex->clauses[ci]) &&
                      !clause_names_system(ex, &ex->clauses[ci]);
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
            const item *it = &ex->items[k];
            int fi = -1;
            if ((it->type == IT_ENT || it->type == IT_MOD) && it->ent_kind == DS_ENT_SYSTEM)
                fi = fam_index(ex, fams, nfams, NULL, ex->sys_root[it->idx]);
            if (fi < 0 || c->context || it->type == IT_MOD)
                continue;
            int deal = clause_is_deal(c) || (ci == box_system && boxed_deal);
            for (size_t cj = (size_t)ex->sents[c->sent].c0; !deal && cj < (size_t)ex->sents[c->sent].c1; cj++)
                deal = !ex->clauses[cj].context && clause_is_deal(&ex->clauses[cj]) &&
                       !clause_names_system(ex, &ex->clauses[cj]) && !names_a_setting(ex, &ex->clauses[cj]);
            if (!deal)
                deal = next_sentence_deals(ex, c->sent); /* "... three Scorpene submarines. The deal is expected to be signed soon" */
            if (!deal)
                deal = items_of_sentence_before(ex, c, k) >= 0; /* "signed three framework agreements. They cover 980 K2, ..." */
            if (deal && (open_accessory(ex, c, it) || /* "along with Hellfire and JAGM missiles" */
                         package_store(ex, ci, it) || included_store(ex, ci, it)))
                deal = 0;
            if (deal) {
                fams[fi].primary = 1;
                fams[fi].nprimary_clauses++;
                fams[fi].body_primary |= !headline(ex, c);
            }
        }
    }
    drop_headline_programmes(ex, fams, *nfams);
    drop_denied(ex, fams, *nfams);
    drop_unsigned_when_none_is(ex, fams, *nfams);
    int nprimary = 0;
    for (int i = 0; i < *nfams; i++)
        nprimary += fams[i].primary;
    return nprimary;
}

/* With no named system reported as news: the first generic one ("missile
 * systems") of the first signing, planning or venture clause that counts
 * one. Returns the number of primary families (0 or 1). */
static int find_generic_family(const ds_extractor *ex, fam *fams, int *nfams)
{
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        if (!clause_is_deal(c) || !(c->cues & (BIT(CUE_SIGNED) | BIT(CUE_PLANNED) | BIT(CUE_JV))))
            continue;
        for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
            const item *it = &ex->items[k];
            if (it->type == IT_CUE && it->cue == CUE_UNIT && strcmp(lexicon[it->idx].str, "unit") != 0 &&
                strcmp(lexicon[it->idx].str, "vehicle") != 0 && strcmp(lexicon[it->idx].str, "support_vehicle") != 0) {
                int fi = fam_index(ex, fams, nfams, lexicon[it->idx].str, -1);
                if (fi >= 0 && !fams[fi].primary) {
                    fams[fi].primary = 1;
                    return 1;
                }
                break;
            }
        }
    }
    return 0;
}

static void drop_background(ds_extractor *ex, const unsigned char *named_sum);
static void drop_tabled_recalls(ds_extractor *ex);

#define MAX_SHARES 4

/* "the Dutch ordering five aircraft", "the Austrians four": count item y
 * follows state item x right away or across one verb in -ing, as that
 * state's share. */
static int share_after_state(const ds_extractor *ex, const item *x, const item *y)
{
    if ((y->type != IT_NUM && y->type != IT_QTY) || y->num < 1 || y->num >= 1e6 || y->start - x->end > 12)
        return 0;
    int gap = y->start - x->end;
    const char *f = ex->fold + x->end;
    if (gap == 1 && f[0] == ' ')
        return 1; /* "and the Austrians four" */
    for (int p = 1; p < gap - 1; p++)
        if (f[p] < 'a' || f[p] > 'z')
            return 0;
    return gap > 5 && f[0] == ' ' && f[gap - 1] == ' ' && memcmp(f + gap - 4, "ing ", 4) == 0;
}

/* "a joint contract with the Netherlands and Austria for nine C-390, five
 * for the Dutch air force and four for the Austrian": clause c gives the
 * count of each of two or more buyers, a number right before "for (the)"
 * and a country. Fills iso3[] and qty[]; returns how many (0 when fewer
 * than two). */
static int buyer_shares(const ds_extractor *ex, const clause *c, const char **iso3, int64_t *qty)
{
    int n = 0, states = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems && states < 2; k++)
        states += ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_COUNTRY;
    if (states < 2)
        return 0; /* shares need two states */
    for (int k = c->first_item; k + 1 < c->first_item + c->nitems && n < MAX_SHARES; k++) {
        const item *x = &ex->items[k], *y = &ex->items[k + 1];
        const char *who;
        int gap = y->start - x->end;
        const char *f = ex->fold + x->end;
        const item *count = x;
        if (country_of_item(ex, x, &who) && share_after_state(ex, x, y)) {
            count = y; /* "with the Dutch ordering five aircraft and the Austrians four" */
        } else if ((x->type != IT_NUM && x->type != IT_QTY) || x->num < 1 || x->num >= 1e6 ||
                   !country_of_item(ex, y, &who) ||
                   !((gap == 5 && !memcmp(f, " for ", 5)) || (gap == 9 && !memcmp(f, " for the ", 9))))
            continue;
        int dup = 0;
        for (int i = 0; i < n; i++)
            dup |= strcmp(iso3[i], who) == 0;
        if (!dup) {
            iso3[n] = who;
            qty[n++] = (int64_t)count->num;
        }
    }
    return n >= 2 ? n : 0;
}

/* Makes primary mention i one deal per buyer of iso3[0..n) when its own
 * buyer is among them: a copy for each other buyer, each with its count
 * from qty when given, the sum combined. Returns 0 or -2. */
static int split_by_buyers(ds_extractor *ex, size_t i, const char **iso3, const int64_t *qty, int n, int *ordinal,
                           const ds_article *a)
{
    int mine = -1;
    for (int s = 0; s < n; s++)
        if (strcmp(iso3[s], ex->out[i].buyer) == 0)
            mine = s;
    if (mine < 0)
        return 0;
    if (qty) {
        ex->out[i].quantity = qty[mine];
        ex->out[i].nvariants = 0;
    }
    ex->out[i].value.combined = ex->out[i].value.set;
    for (int s = 0; s < n; s++) {
        if (s == mine)
            continue;
        ds_mention *m;
        if (push_mention(ex, &m))
            return -2;
        *m = ex->out[i];
        ds_strlcpy(m->buyer, iso3[s], sizeof m->buyer);
        if (qty)
            m->quantity = qty[s];
        ds_mention_block_key(m);
        name_mention(a, 'p', m, ordinal);
    }
    return 0;
}

/* Items a and b (b after a) are joined by coordination only: ", ",
 * " and ", ", and " or " or ", perhaps before the currency of b ("$",
 * "EUR ", "Rs "). */
static int coordinated(const ds_extractor *ex, int a, int b)
{
    static const char *const joins[] = {", and ", " and ", ", ", " or "};
    const char *f = ex->fold + ex->items[a].end;
    int gap = ex->items[b].start - ex->items[a].end;
    for (size_t j = 0; j < sizeof joins / sizeof joins[0]; j++) {
        int n = (int)strlen(joins[j]);
        if (gap < n || memcmp(f, joins[j], (size_t)n) != 0)
            continue;
        int p = n, letters = 0;
        while (p < gap && ((unsigned char)f[p] >= 0x80 || f[p] == '$'))
            p++;
        while (p < gap && f[p] >= 'a' && f[p] <= 'z' && letters < 4)
            p++, letters++;
        while (p < gap && (f[p] == '$' || (letters && f[p] == ' ')))
            p++;
        return p == gap;
    }
    return 0;
}

/* The index of the first item after k (before end) that is not a scale or
 * currency word of a sum. */
static int next_unused(const ds_extractor *ex, int k, int end)
{
    k++;
    while (k < end && (ex->items[k].used || (ex->items[k].type == IT_CUE && (ex->items[k].cue == CUE_CURPREFIX ||
                                                                             ex->items[k].cue == CUE_CURWORD))))
        k++;
    return k;
}

/* Item it is a member of a coordinated list of kind want: 0 a state, 1 a
 * count, 2 a sum. */
static int list_member(const ds_extractor *ex, const item *it, int want)
{
    const char *iso3;
    if (want == 0)
        return country_of_item(ex, it, &iso3) == 2;
    if (want == 1)
        return (it->type == IT_NUM || it->type == IT_QTY) && it->num >= 1 && it->num < 1e6 && it->num == floor(it->num);
    return it->type == IT_MONEY;
}

/* The first coordinated list of two or more items of kind want (list_member)
 * in clause c: its first item's index, *n its length; -1 when none. */
static int coordinated_list(const ds_extractor *ex, const clause *c, int want, int *n)
{
    int end = c->first_item + c->nitems;
    for (int k = c->first_item; k < end; k++) {
        if (!list_member(ex, &ex->items[k], want))
            continue;
        int len = 1, last = k, nx;
        while ((nx = next_unused(ex, last, end)) < end && list_member(ex, &ex->items[nx], want) &&
               coordinated(ex, last, nx)) {
            len++;
            last = nx;
        }
        if (len >= 2) {
            *n = len;
            return k;
        }
    }
    return -1;
}

/* "Lithuania and Latvia ordered six and eight HIMARS launchers
 * respectively, at $495 million and $220 million": a clause with
 * "respectively" whose coordinated states and coordinated counts have the
 * same length pairs them in order. Fills iso3[] and qty[], and *money with
 * the index of as many coordinated sums (-1 when none); returns how many. */
static int respective_shares(const ds_extractor *ex, const clause *c, const char **iso3, int64_t *qty, int *money)
{
    int ns = 0, nq = 0, nm = 0;
    if (!(c->cues & BIT(CUE_RESPECTIVELY)))
        return 0;
    int ks = coordinated_list(ex, c, 0, &ns), kq = coordinated_list(ex, c, 1, &nq);
    if (ks < 0 || kq < 0 || ns != nq || ns > MAX_SHARES || kq < ks)
        return 0;
    int km = coordinated_list(ex, c, 2, &nm);
    *money = km >= 0 && nm == ns ? km : -1;
    int end = c->first_item + c->nitems;
    for (int s = 0; s < ns; s++, ks = next_unused(ex, ks, end), kq = next_unused(ex, kq, end)) {
        country_of_item(ex, &ex->items[ks], &iso3[s]);
        qty[s] = (int64_t)ex->items[kq].num;
    }
    return ns;
}

/* After split_by_buyers of mention i over iso3[0..n): each buyer's deal
 * takes its own sum, the sums at item money on (respective_shares). */
static void price_respective_shares(ds_extractor *ex, size_t i, const char **iso3, int n, int money)
{
    for (size_t j = i; j < ex->nout; j++) {
        ds_mention *m = &ex->out[j];
        if (j != i && (m->role != DS_ROLE_PRIMARY || strcmp(m->family, ex->out[i].family) != 0))
            continue;
        for (int s = 0, k = money; s < n; s++, k = next_unused(ex, k, (int)ex->nitems))
            if (strcmp(m->buyer, iso3[s]) == 0)
                money_to_value(ex, &ex->items[k], NULL, m->signing_year, &m->value);
    }
}

/* Splits primary mention i (family fm) into one deal per buyer when a
 * clause of it shares its count among buyers (buyer_shares, or
 * respective_shares with their sums): each buyer's count, the sum
 * combined unless each has its own. Returns 0 or -2. */
static int split_shares(ds_extractor *ex, size_t i, const fam *fm, int *ordinal, const ds_article *a)
{
    const char *iso3[MAX_SHARES] = {0};
    int64_t qty[MAX_SHARES] = {0};
    int n = 0, money = -1;
    for (size_t ci = 0; ci < ex->nclauses && !n; ci++)
        if (!ex->clauses[ci].context && clause_has_family(ex, &ex->clauses[ci], fm)) {
            n = buyer_shares(ex, &ex->clauses[ci], iso3, qty);
            if (!n)
                n = respective_shares(ex, &ex->clauses[ci], iso3, qty, &money);
        }
    if (split_by_buyers(ex, i, iso3, qty, n, ordinal, a))
        return -2;
    if (n && money >= 0)
        price_respective_shares(ex, i, iso3, n, money);
    return 0;
}

/* One variant of family fm a clause prices on its own ("KAI will deliver 12
 * FA-50GF ... in a deal worth $705 million"). */
typedef struct priced_variant {
    int sys;                      /* system index of the variant */
    int64_t qty;
    const item *money, *usd;      /* the sum, and its conversion to dollars when given */
    const clause *c;
} priced_variant;

/* Clause c names exactly one variant of family fm, counts it and gives one
 * sum (and perhaps its dollar conversion): fills *pv and returns 1. */
static int clause_prices_variant(const ds_extractor *ex, const clause *c, const fam *fm, priced_variant *pv)
{
    memset(pv, 0, sizeof *pv);
    pv->sys = -1;
    pv->qty = -1;
    int nmoney = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM && ex->sys_root[it->idx] == fm->root) {
            if (!sys_of(ex, it->idx)->variant_of || (pv->sys >= 0 && pv->sys != it->idx))
                return 0;
            pv->sys = it->idx;
        }
        if (it->type == IT_QTY && it->target_sys >= 0 && ex->sys_root[it->target_sys] == fm->root) {
            if (pv->qty >= 0)
                return 0;
            pv->qty = (int64_t)it->num;
        }
        if (it->type == IT_MONEY) {
            if (nmoney == 1 && strcmp(it->cur, "USD") == 0 && strcmp(pv->money->cur, "USD") != 0)
                pv->usd = it;
            else if (nmoney++ == 0)
                pv->money = it;
            else
                return 0;
        }
    }
    pv->c = c;
    return pv->sys >= 0 && pv->qty > 0 && nmoney == 1;
}

/* Splits primary mention i (family fm) into one deal per variant when one
 * sentence gives two or more variants each its own count and sum ("12
 * FA-50GF in a deal worth $705 million, while 36 FA-50PL ... under a $2.3
 * billion contract"): two contracts, not one with a combined figure.
 * Returns 0 or -2. */
static int split_priced_variants(ds_extractor *ex, size_t i, const fam *fm, int *ordinal, const ds_article *a)
{
    priced_variant pv[DS_MAX_VARIANTS];
    int n = 0;
    if (fm->generic || ex->out[i].nvariants < 2)
        return 0;
    for (size_t si = 0; si < ex->nsents && n < 2; si++) {
        n = 0;
        for (int ci = ex->sents[si].c0; ci < ex->sents[si].c1 && n < DS_MAX_VARIANTS; ci++) {
            const clause *c = &ex->clauses[ci];
            if (c->context || !clause_is_deal(c) || !clause_prices_variant(ex, c, fm, &pv[n]))
                continue;
            int dup = 0;
            for (int q = 0; q < n; q++)
                dup |= pv[q].sys == pv[n].sys;
            n += !dup;
        }
    }
    if (n < 2)
        return 0;
    ds_mention base = ex->out[i];
    int y = base.signing_year;
    if (!y && base.announce_date != DS_NO_DATE) {
        int mo, d;
        ds_civil_from_days(base.announce_date, &y, &mo, &d);
    }
    for (int v = 0; v < n; v++) {
        ds_mention *m = &ex->out[i];
        if (v > 0 && push_mention(ex, &m))
            return -2;
        *m = base;
        ds_strlcpy(m->system, sys_of(ex, pv[v].sys)->id, sizeof m->system);
        m->quantity = pv[v].qty;
        m->nvariants = 0;
        money_to_value(ex, pv[v].money, pv[v].usd, y, &m->value);
        set_evidence(ex, m, "value", pv[v].c);
        set_evidence(ex, m, "quantity", pv[v].c);
        if (v > 0) {
            ds_mention_block_key(m);
            name_mention(a, 'p', m, ordinal);
        }
    }
    return 0;
}

/* "..., while a separate contract was signed with the maker for
 * maintenance": clause c names a separate deal (a deal noun right after
 * "separate") and no system, or a venture's contract beside a purchase
 * (venture_beside_purchase), in a sentence that signs: a second contract
 * beside the one named before it. */
/* "signed two agreements: a purchase contract for the AKINCI, and a
 * co-production contract under which ...": clause c names a venture's
 * contract (a venture word right before a deal noun) in a sentence whose
 * earlier clause names a purchase. */
static int venture_beside_purchase(const ds_extractor *ex, const clause *c)
{
    int venture = -1, buys = 0;
    if (!(c->cues & BIT(CUE_JV)))
        return 0;
    for (int k = c->first_item; k + 1 < c->first_item + c->nitems && venture < 0; k++) {
        const item *it = &ex->items[k], *nx = &ex->items[k + 1];
        if (it->type == IT_CUE && it->cue == CUE_JV && nx->type == IT_CUE && nx->cue == CUE_DEAL &&
            nx->start - it->end == 1)
            venture = it->start;
    }
    for (int ci = ex->sents[c->sent].c0; venture >= 0 && ci < ex->sents[c->sent].c1 && !buys; ci++) {
        const clause *b = &ex->clauses[ci];
        for (int k = b->first_item; k < b->first_item + b->nitems && !buys; k++)
            buys = buys_word(&ex->items[k]) && ex->items[k].start < venture;
    }
    return buys;
}

/* Clause c's sentence has a clause that signs. */
static int sentence_signs_deal(const ds_extractor *ex, const clause *c)
{
    for (int cj = ex->sents[c->sent].c0; cj < ex->sents[c->sent].c1; cj++)
        if (!ex->clauses[cj].context && (ex->clauses[cj].cues & BIT(CUE_SIGNED)))
            return 1;
    return 0;
}

static int separate_deal(const ds_extractor *ex, const clause *c)
{
    if (c->context || !(c->cues & BIT(CUE_DEAL)))
        return 0;
    if (venture_beside_purchase(ex, c))
        return sentence_signs_deal(ex, c);
    if (clause_names_system(ex, c))
        return 0;
    int sep = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems && !sep; k++) {
        const item *it = &ex->items[k];
        sep = it->type == IT_CUE && it->cue == CUE_DEAL && it->start >= 9 &&
              memcmp(ex->fold + it->start - 9, "separate ", 9) == 0;
    }
    return sep && sentence_signs_deal(ex, c);
}

/* The signed primary in ex->out[0..nprim) whose family the nearest clause
 * up to clause ci that names a system of a primary names first; -1 when
 * none. */
static int primary_named_before(const ds_extractor *ex, size_t ci, size_t nprim)
{
    for (size_t cj = ci + 1; cj-- > 0;) {
        const clause *c = &ex->clauses[cj];
        if (c->context)
            continue;
        for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
            const item *it = &ex->items[k];
            if (it->type != IT_ENT || it->ent_kind != DS_ENT_SYSTEM)
                continue;
            const char *family = sys_of(ex, ex->sys_root[it->idx])->id;
            for (size_t i = 0; i < nprim; i++)
                if (ex->out[i].status == DS_STATUS_SIGNED && strcmp(ex->out[i].family, family) == 0)
                    return (int)i;
        }
    }
    return -1;
}

/* A separate contract signed beside a primary (separate_deal) is a deal of
 * its own of the same family: no count of its own, the sum, when the two
 * share one, combined. Returns 0 or -2. */
/* "Officials expect a first executive contract, for about 200 launchers,
 * to be concluded within weeks", after a framework reported as news: a
 * clause naming no system that plans an executive contract (or the first
 * one) with a count of the framework's kind; its count, else -1. */
static int64_t planned_executive_count(const ds_extractor *ex, const clause *c, const ds_mention *fw, int *batch)
{
    if (c->context || !(c->cues & BIT(CUE_PLANNED)) || !(c->cues & (BIT(CUE_FIRST) | BIT(CUE_EXECUTIVE))) ||
        clause_names_system(ex, c))
        return -1;
    int64_t qty = -1;
    *batch = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_CUE && it->cue == CUE_FIRST)
            *batch = 1;
        if (it->type == IT_QTY && it->target_sys < 0 && it->unit && strcmp(it->unit, fw->category) == 0 && qty < 0)
            qty = (int64_t)it->num;
    }
    return qty >= 0 && qty != fw->quantity ? qty : -1;
}

/* Adds, after a lone framework primary, the executive contract a clause
 * plans under it with its own count (planned_executive_count): a planned
 * deal of its own. Returns 0 or -2. */
static int add_planned_executive(ds_extractor *ex, const ds_article *a, int *ordinal)
{
    if (ex->nout != 1 || ex->out[0].role != DS_ROLE_PRIMARY || ex->out[0].stage != DS_STAGE_FRAMEWORK)
        return 0;
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        int batch;
        int64_t qty = planned_executive_count(ex, &ex->clauses[ci], &ex->out[0], &batch);
        if (qty < 0)
            continue;
        ds_mention *m;
        if (push_mention(ex, &m))
            return -2;
        *m = ex->out[0];
        m->stage = DS_STAGE_EXECUTIVE;
        m->status = DS_STATUS_PLANNED;
        m->quantity = qty;
        m->batch = batch;
        m->nvariants = m->nextras = 0;
        memset(&m->value, 0, sizeof m->value);
        m->signing_date = DS_NO_DATE;
        m->signing_year = 0;
        set_evidence(ex, m, "quantity", &ex->clauses[ci]);
        name_mention(a, 'p', m, ordinal);
        return 0;
    }
    return 0;
}

static int add_separate_deals(ds_extractor *ex, const ds_article *a, int *ordinal)
{
    size_t nprim = ex->nout;
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        if (!separate_deal(ex, &ex->clauses[ci]))
            continue;
        int i = primary_named_before(ex, ci, nprim);
        if (i < 0)
            continue;
        ds_mention *m;
        if (push_mention(ex, &m))
            return -2;
        *m = ex->out[i];
        m->quantity = -1;
        m->nvariants = 0;
        m->nextras = 0;
        m->batch = 0;
        m->value.combined = m->value.set;
        ex->out[i].value.combined = ex->out[i].value.set;
        if (venture_beside_purchase(ex, &ex->clauses[ci])) { /* the venture's sum is not the purchase's */
            m->stage = DS_STAGE_JOINT_VENTURE;
            memset(&m->value, 0, sizeof m->value);
        }
        name_mention(a, 'p', m, ordinal);
    }
    return 0;
}

/* A signing the article reports as news and dates by nothing is of the
 * article's year ("placed an order for two C-390s worth CZK 7 billion");
 * runs on the primaries kept, after they shared their days. */
static void year_undated_signings(ds_extractor *ex, int32_t pubday)
{
    if (pubday == DS_NO_DATE)
        return;
    int y, mo, d;
    ds_civil_from_days(pubday, &y, &mo, &d);
    for (size_t i = 0; i < ex->nout; i++) {
        ds_mention *m = &ex->out[i];
        if (m->role == DS_ROLE_PRIMARY && m->signing_date == DS_NO_DATE && !m->signing_year &&
            m->status == DS_STATUS_SIGNED && m->stage != DS_STAGE_DELIVERY && m->stage != DS_STAGE_CANCELLATION)
            m->signing_year = y;
    }
}

/* "This modification involves Foreign Military Sales to Kuwait, Qatar and
 * Saudi Arabia": a clause of family fm's deal (naming it, or naming no
 * system after the award that does) lists two or more states the contract
 * buys for. Fills iso3[]; returns how many (0 when fewer than two). */
static int listed_fms_buyers(const ds_extractor *ex, const fam *fm, const char **iso3)
{
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        if (c->context || !(c->cues & (BIT(CUE_DEAL) | BIT(CUE_AMENDMENT) | BIT(CUE_SIGNED))))
            continue;
        int n = 0;
        for (int k = c->first_item; k < c->first_item + c->nitems && n < MAX_SHARES; k++) {
            const char *who;
            if (country_of_item(ex, &ex->items[k], &who) != 2 || !fms_buyer(ex, &ex->items[k]))
                continue;
            int dup = 0;
            for (int i = 0; i < n; i++)
                dup |= strcmp(iso3[i], who) == 0;
            if (!dup)
                iso3[n++] = who;
        }
        if (n >= 2 &&
            (clause_has_family(ex, c, fm) || (!clause_names_system(ex, c) && last_named_alone(ex, ci, fm) >= 0)))
            return n;
    }
    return 0;
}

/* Splits primary mention i (family fm) into one deal per state its
 * contract lists as buyers (listed_fms_buyers), the sum combined. Returns
 * 0 or -2. */
static int split_listed_buyers(ds_extractor *ex, size_t i, const fam *fm, int *ordinal, const ds_article *a)
{
    const char *iso3[MAX_SHARES];
    int n = listed_fms_buyers(ex, fm, iso3);
    return split_by_buyers(ex, i, iso3, NULL, n, ordinal, a);
}

/* "The UAE signed a deal on Friday to buy 80 Rafale ... The UAE also ordered
 * 12 Caracal helicopters": a signed primary the text does not date at all
 * was signed with the article's first dated signed primary of the same
 * buyer and stage. */
static void share_signing_day(ds_extractor *ex)
{
    const ds_mention *lead = NULL;
    for (size_t i = 0; i < ex->nout && !lead; i++)
        if (ex->out[i].status == DS_STATUS_SIGNED && ex->out[i].signing_date != DS_NO_DATE)
            lead = &ex->out[i];
    for (size_t i = 0; lead && i < ex->nout; i++) {
        ds_mention *m = &ex->out[i];
        if (m == lead || m->status != DS_STATUS_SIGNED || m->signing_date != DS_NO_DATE || m->signing_year ||
            m->stage != lead->stage || strcmp(m->buyer, lead->buyer) != 0)
            continue;
        m->signing_date = lead->signing_date;
        m->signing_year = lead->signing_year;
    }
}

/* One primary mention per primary family, or per deal of a family the
 * article splits (split_family); a deal needs a buyer and some substance.
 * Returns 0 or -2. */
static int emit_primaries(ds_extractor *ex, const ds_article *a, const fam *fams, int nfams, int nprimary,
                          int32_t pubday, int *ordinal)
{
    unsigned char named_sum[MAX_FAMS * DS_MAX_SPLIT] = {0}; /* by index in ex->out */
    for (int i = 0; i < nfams; i++) {
        if (!fams[i].primary)
            continue;
        int anchors[DS_MAX_SPLIT];
        int nanchors = split_family(ex, &fams[i], anchors);
        for (int g = 0; g < (nanchors ? nanchors : 1); g++) {
            ds_mention *m;
            if (push_mention(ex, &m))
                return -2;
            m->role = DS_ROLE_PRIMARY;
            int named = build_primary(ex, a->body, &fams[i], nprimary, pubday, nanchors ? anchors[g] : -1, m);
            /* a delivery under a contract it dates ("under a 2021 contract") is news */
            int dated_delivery = m->status == DS_STATUS_DELIVERED && (m->signing_year || m->signing_date != DS_NO_DATE);
            if (ex->debug)
                fprintf(stderr, "primary %s: buyer %s seller %s qty %lld value %d stage %s status %s\n", m->family,
                        m->buyer, m->seller, (long long)m->quantity, m->value.set, ds_stage_names[m->stage],
                        ds_status_names[m->status]);
            if (!m->buyer[0] || (m->quantity < 0 && !m->value.set && m->status != DS_STATUS_SIGNED &&
                                 m->stage != DS_STAGE_FRAMEWORK && m->status != DS_STATUS_PLANNED &&
                                 m->status != DS_STATUS_APPROVED && !dated_delivery)) {
                ex->nout--;
                continue;
            }
            if (ex->nout <= sizeof named_sum)
                named_sum[ex->nout - 1] = (unsigned char)named;
            ds_mention_block_key(m);
            name_mention(a, 'p', m, ordinal);
            size_t last = ex->nout - 1, before = ex->nout;
            if (!nanchors && split_shares(ex, last, &fams[i], ordinal, a))
                return -2;
            if (!nanchors && ex->nout == before && split_listed_buyers(ex, last, &fams[i], ordinal, a))
                return -2;
            if (!nanchors && ex->nout == before && split_priced_variants(ex, last, &fams[i], ordinal, a))
                return -2;
            for (size_t j = before; j < ex->nout && j < sizeof named_sum; j++)
                named_sum[j] = (unsigned char)named; /* each buyer's share names what the sum buys */
        }
    }
    drop_background(ex, named_sum);
    drop_tabled_recalls(ex);
    if (add_separate_deals(ex, a, ordinal) || add_planned_executive(ex, a, ordinal))
        return -2;
    share_signing_day(ex);
    year_undated_signings(ex, pubday);
    return 0;
}

/* Row c of a table of earlier deals names family and buyer. */
static int row_names(const ds_extractor *ex, const clause *c, const char *family, const char *buyer)
{
    int fam_named = 0, buyer_named = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        const char *iso3;
        if (it->type == IT_ENT && it->ent_kind == DS_ENT_SYSTEM)
            fam_named |= strcmp(sys_of(ex, ex->sys_root[it->idx])->id, family) == 0;
        else if (country_of_item(ex, it, &iso3))
            buyer_named |= strcmp(iso3, buyer) == 0;
    }
    return fam_named && buyer_named;
}

/* "Cairo took two second-hand FREMM in a EUR 1.2 billion deal" beside a
 * table row "| Egypt | FREMM | ... | 2020 |": a primary the text dates by no
 * day, whose family and buyer a table of earlier deals lists, is that
 * recalled deal (emit_table_rows gives it), not news. Keeps the order of
 * the rest. */
static void drop_tabled_recalls(ds_extractor *ex)
{
    size_t n = 0;
    for (size_t i = 0; i < ex->nout; i++) {
        const ds_mention *m = &ex->out[i];
        int tabled = 0;
        for (size_t ci = 0; ci < ex->nclauses && m->signing_date == DS_NO_DATE && !tabled; ci++)
            tabled = ex->clauses[ci].table && row_names(ex, &ex->clauses[ci], m->family, m->buyer);
        if (tabled)
            continue;
        if (n != i)
            ex->out[n] = ex->out[i];
        n++;
    }
    ex->nout = n;
}

/* Drops the primaries that are systems an article names in passing: one
 * with no count, sum or date at all (but a joint venture); and, when some
 * primary has a count or a sum ("Egypt, which also flies the Rafale,
 * ordered 100 K9 howitzers for $1.7 billion"), one with neither (nor a
 * framework's reason to lack them) or with no count and only the counted
 * deal's sum. Keeps the order of the rest. */
static void drop_background(ds_extractor *ex, const unsigned char *named_sum)
{
    int substance = 0;
    for (size_t i = 0; i < ex->nout; i++)
        substance |= ex->out[i].quantity >= 0 || ex->out[i].value.set;
    size_t n = 0;
    for (size_t i = 0; i < ex->nout; i++) {
        const ds_mention *m = &ex->out[i];
        /* no count, sum or date at all (a planned signing's year, "later
         * this month", is no date): a system an article about something
         * else names ("the K2 tanks Poland ordered", an air show's display) */
        if (m->quantity < 0 && !m->value.set && m->signing_date == DS_NO_DATE &&
            (!m->signing_year || m->status == DS_STATUS_PLANNED) && m->stage != DS_STAGE_JOINT_VENTURE)
            continue;
        if (!substance) {
            if (n != i)
                ex->out[n] = ex->out[i];
            n++;
            continue;
        }
        int borrowed = 0; /* the sum of a counted deal, shared because both are in its clause */
        for (size_t j = 0; j < ex->nout && m->value.set && m->value.combined && m->quantity < 0; j++)
            borrowed |= j != i && ex->out[j].quantity >= 0 && ex->out[j].value.set &&
                        ex->out[j].value.amount == m->value.amount;
        /* or the sum of a deal whose own clause names it with the sum ("Elbit
         * lands $305 million PULS order"), taken from a clause naming no system */
        for (size_t j = 0; j < ex->nout && m->value.set && m->quantity < 0 && !named_sum[i]; j++)
            borrowed |= j != i && named_sum[j] && ex->out[j].value.set && ex->out[j].value.amount == m->value.amount;
        if (m->quantity < 0 && (!m->value.set || borrowed) && m->stage != DS_STAGE_JOINT_VENTURE &&
            m->stage != DS_STAGE_FRAMEWORK)
            continue;
        if (n != i)
            ex->out[n] = ex->out[i];
        n++;
    }
    ex->nout = n;
}

/* One context mention of family fm at stage want, from the clauses that
 * recall it; in delivery news the contract delivered is the primary's, not
 * a second deal, unless it is another batch than the one delivered. Returns
 * 0 or -2. */
static int emit_context(ds_extractor *ex, const ds_article *a, const fam *fm, ds_stage want, size_t nprim,
                        int32_t pubday, int *ordinal)
{
    int delivering = 0, delivered_batch = 0;
    for (size_t p = 0; p < nprim; p++)
        if (strcmp(ex->out[p].family, fm->family) == 0 && ex->out[p].stage == DS_STAGE_DELIVERY) {
            delivering = 1;
            if (!delivered_batch)
                delivered_batch = ex->out[p].batch;
        }
    if (delivering && want == DS_STAGE_EXECUTIVE && !delivered_batch)
        return 0;
    /* most articles recall nothing: look before setting up a mention */
    int any = 0;
    for (size_t ci = 0; ci < ex->nclauses && !any; ci++)
        any = ex->clauses[ci].context && context_stage(&ex->clauses[ci]) == want;
    if (!any)
        return 0;
    ds_mention *m;
    if (push_mention(ex, &m))
        return -2;
    int got = build_context(ex, fm, want, nprim ? &ex->out[0] : NULL, pubday,
                            delivering && want == DS_STAGE_EXECUTIVE ? delivered_batch : 0, m);
    if (ex->debug)
        fprintf(stderr, "context %s stage %s: got %d buyer %s\n", fm->family, ds_stage_names[want], got, m->buyer);
    if (got && m->buyer[0]) {
        relate_primaries(ex, nprim, m);
        if (got == 2)
            ex->nout--; /* a bare framework: the relation above, no mention */
        else
            name_context(a, m, ordinal);
    } else {
        ex->nout--;
    }
    if (want == DS_STAGE_EXECUTIVE && !delivering && distribute(ex, a, fm, nprim, ordinal))
        return -2;
    return 0;
}

/* Context mentions of every catalog family, stage by stage. Returns 0 or -2. */
static int emit_contexts(ds_extractor *ex, const ds_article *a, const fam *fams, int nfams, size_t nprim,
                         int32_t pubday, int *ordinal)
{
    static const ds_stage recalled[] = {DS_STAGE_EXECUTIVE, DS_STAGE_FRAMEWORK, DS_STAGE_APPROVAL,
                                        DS_STAGE_SELECTION, DS_STAGE_JOINT_VENTURE};
    const int nrecalled = (int)(sizeof recalled / sizeof recalled[0]);
    for (int i = 0; i < nfams; i++) {
        if (fams[i].generic)
            continue;
        for (int w = 0; w < nrecalled; w++)
            if (emit_context(ex, a, &fams[i], recalled[w], nprim, pubday, ordinal))
                return -2;
    }
    return 0;
}

/* The first clause of a line that is a row of a markdown table ("| ... |"). */
static int table_row(const ds_extractor *ex, const clause *c)
{
    return (c->start == 0 || ex->fold[c->start - 1] == '\n') && c->end > c->start && ex->fold[c->start] == '|';
}

/* A markdown table of contracts: when its header row names what the rows
 * record ("| Buyer | Quantity | Value | Signed |"), every row below the
 * rule line is a deal of its own, with the header's roles; a table
 * collects deals signed before, so its rows are recalls. */
static void mark_table_rows(ds_extractor *ex)
{
    for (size_t ci = 0; ci + 1 < ex->nclauses; ci++) {
        clause *h = &ex->clauses[ci];
        if (!table_row(ex, h) || (ci > 0 && table_row(ex, h - 1)) || !(h->cues & deal_cues))
            continue;
        uint64_t roles = h->cues & deal_cues;
        size_t r = ci + 1;
        if (!table_row(ex, &ex->clauses[r]) || ex->fold[ex->clauses[r].start + 1] != '-')
            continue; /* no rule line: not a table */
        for (r++; r < ex->nclauses && table_row(ex, &ex->clauses[r]); r++) {
            ex->clauses[r].cues |= roles;
            ex->clauses[r].context = 1;
            ex->clauses[r].table = 1;
        }
        h->cues &= ~deal_cues; /* the header is no deal */
        ci = r - 1;
    }
}

/* The buyer of a table row c of a system from origin: the row's first
 * other country, else the article's first. Returns its ISO3 or NULL. */
static const char *row_buyer(const ds_extractor *ex, const clause *c, const char *origin)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t k0 = pass ? 0 : (size_t)c->first_item, k1 = pass ? ex->nitems : (size_t)(c->first_item + c->nitems);
        for (size_t k = k0; k < k1; k++) {
            const char *iso3;
            if (country_of_item(ex, &ex->items[k], &iso3) && strcmp(iso3, origin) != 0)
                return iso3;
        }
    }
    return NULL;
}

/* Fills m from table row c, the deal of system item sys: the row's count,
 * sum, day (or year), stage and ordinal, in the order its columns give them. */
static void read_row(const ds_extractor *ex, const clause *c, const item *sys, ds_mention *m)
{
    const char *cat = sys_of(ex, sys->idx)->category;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        if (it->type == IT_QTY && it->target_sys < 0 && it->unit && strcmp(it->unit, cat) != 0 &&
            strcmp(it->unit, "unit") != 0)
            continue; /* "K2 tanks, 81 support vehicles | 180": a count of another kind */
        if (m->quantity < 0 && ((it->type == IT_QTY && it->num < 1e9) ||
                                (it->type == IT_NUM && !it->used && it->num >= 1 && it->num < 1e7 && it->start > sys->start)))
            m->quantity = (int64_t)it->num; /* a count, or a bare number in a column after the system's */
        else if (it->type == IT_MONEY && !m->value.set)
            money_to_value(ex, it, NULL, 0, &m->value);
        else if (it->type == IT_DATE && m->signing_date == DS_NO_DATE)
            m->signing_date = it->date;
        else if (it->type == IT_YEAR && !m->signing_year)
            m->signing_year = (int)it->num;
        else if (it->type == IT_CUE && it->cue == CUE_ORDINAL && !m->batch && it->num >= 1 && it->num <= 9)
            m->batch = (int)it->num;
    }
    if (m->signing_date != DS_NO_DATE) {
        int y, mo, d;
        ds_civil_from_days(m->signing_date, &y, &mo, &d);
        m->signing_year = y;
    }
    if (m->value.set && m->signing_year && strcmp(m->value.currency, "USD") != 0) {
        double rate = ds_catalog_rate(ex->cat, m->value.currency, m->signing_year);
        m->value.usd = rate > 0 ? llround((double)m->value.amount / rate) : -1;
    }
    m->stage = (c->cues & BIT(CUE_FRAMEWORK)) && !(c->cues & BIT(CUE_EXECUTIVE)) ? DS_STAGE_FRAMEWORK
                                                                                 : DS_STAGE_EXECUTIVE;
    if (m->stage == DS_STAGE_FRAMEWORK)
        m->batch = 0;
}

/* One context mention per row of a table of deals, of the row's first
 * catalog system ("| 2022-08-26 | K2GF tanks | Hyundai Rotem | 180 |
 * $3.37 billion | 1st executive |"). Returns 0 or -2. */
/* Table row c is dated in year pubyear alone: a date or a month of no
 * other year ("1 August", "November", "2025-03"), no year but pubyear. */
static int row_of_year(const ds_extractor *ex, const clause *c, int pubyear)
{
    int dated = 0;
    for (int k = c->first_item; k < c->first_item + c->nitems; k++) {
        const item *it = &ex->items[k];
        int y, mo, d;
        if (it->type == IT_YEAR && (int)it->num != pubyear)
            return 0;
        if (it->type == IT_DATE) {
            ds_civil_from_days(it->date, &y, &mo, &d);
            if (y != pubyear)
                return 0;
        }
        dated |= it->type == IT_DATE || it->type == IT_YEAR || (it->type == IT_CUE && it->cue == CUE_MONTH);
    }
    return dated;
}

/* "The year in orders", a table of this year's contracts: two or more rows
 * under the header before row ci, every one dated in the article's year
 * alone (row_of_year). Its rows report deals as news, not recalls. */
static int table_of_the_year(const ds_extractor *ex, size_t ci, int pubyear)
{
    size_t first = ci, last = ci;
    while (first > 0 && ex->clauses[first - 1].table)
        first--;
    while (last + 1 < ex->nclauses && ex->clauses[last + 1].table)
        last++;
    if (last == first || pubyear <= 0)
        return 0;
    for (size_t r = first; r <= last; r++)
        if (!row_of_year(ex, &ex->clauses[r], pubyear))
            return 0;
    return 1;
}

/* A primary of family and buyer is among the first nprim mentions. */
static int has_primary(const ds_extractor *ex, size_t nprim, const char *family, const char *buyer)
{
    for (size_t i = 0; i < nprim; i++)
        if (strcmp(ex->out[i].family, family) == 0 && strcmp(ex->out[i].buyer, buyer) == 0)
            return 1;
    return 0;
}

/* Makes table row mention m (of row c) news: primary, signed or, when the
 * row says so, planned ("29 December (expected)"). */
static void row_as_news(const ds_extractor *ex, const clause *c, const ds_article *a, int pubyear, ds_mention *m,
                        int *ordinal)
{
    m->role = DS_ROLE_PRIMARY;
    if (!m->signing_year)
        m->signing_year = pubyear; /* "November": of the article's year */
    if ((c->cues & BIT(CUE_PLANNED)) || find_in(ex->fold + c->start, (size_t)(c->end - c->start), "expected", 8))
        m->status = DS_STATUS_PLANNED;
    ds_mention_block_key(m);
    name_mention(a, 'p', m, ordinal);
}

static int emit_table_rows(ds_extractor *ex, const ds_article *a, size_t nprim, int *ordinal)
{
    pubdate pd = pubdate_from_day(!ds_ms_valid(a->published) ? DS_NO_DATE : (int32_t)(a->published / 86400000));
    for (size_t ci = 0; ci < ex->nclauses; ci++) {
        const clause *c = &ex->clauses[ci];
        const item *sys = NULL;
        for (int k = c->first_item; c->table && k < c->first_item + c->nitems && !sys; k++)
            if (ex->items[k].type == IT_ENT && ex->items[k].ent_kind == DS_ENT_SYSTEM &&
                ex->items[k].idx < (int)ex->cat->nsystems)
                sys = &ex->items[k];
        if (!sys)
            continue;
        const ds_system *root = &ex->cat->systems[ex->sys_root[sys->idx]];
        const char *buyer = row_buyer(ex, c, root->origin);
        if (!buyer)
            continue;
        ds_mention *m;
        if (push_mention(ex, &m))
            return -2;
        context_init(m, root->family, root, buyer);
        ds_strlcpy(m->category, root->category, sizeof m->category);
        m->status = DS_STATUS_SIGNED;
        read_row(ex, c, sys, m);
        set_evidence(ex, m, "stage", c);
        if (table_of_the_year(ex, ci, pd.year) && !has_primary(ex, nprim, m->family, m->buyer)) {
            row_as_news(ex, c, a, pd.year, m, ordinal);
            continue;
        }
        relate_primaries(ex, nprim, m);
        name_context(a, m, ordinal);
    }
    return 0;
}

/* Source fields of every mention: kind, id, outlet, published, fingerprint. */
static void stamp_sources(ds_extractor *ex, const ds_article *a)
{
    if (!ex->nout)
        return; /* no mention carries the fingerprint: spare hashing the text */
    uint64_t sh = ds_simhash(ex->fold, (size_t)ex->flen);
    for (size_t i = 0; i < ex->nout; i++) {
        ds_mention *x = &ex->out[i];
        x->src.kind = DS_SRC_ARTICLE;
        ds_strlcpy(x->src.id, a->id ? a->id : "", sizeof x->src.id);
        ds_strlcpy(x->src.outlet, a->outlet ? a->outlet : "", sizeof x->src.outlet);
        x->src.published = a->published;
        x->src.text_hash = sh;
    }
}

int ds_extract(ds_extractor *ex, const ds_article *a, const ds_mention **out, char *err, size_t errlen)
{
    ex->nout = ex->nitems = ex->nclauses = ex->nsents = 0;
    for (int i = 0; i < ex->nopen; i++)
        ex->open_fold[i][0] = '\0';
    ex->nopen = 0;
    *out = NULL;
    int rc = fold_body(ex, a, err, errlen);
    if (rc)
        return rc;
    /* a time outside years 1..9999 is refused before extraction; here it dates nothing */
    pubdate pd = pubdate_from_day(!ds_ms_valid(a->published) ? DS_NO_DATE : (int32_t)(a->published / 86400000));
    if (split_sentences(ex, a->body, ex->flen))
        return -2;
    for (size_t si = 0; si < ex->nsents; si++)
        if (read_sentence(ex, a->body, si, pd))
            return -2;
    mark_first_batch_recalls(ex);
    mark_earlier_steps(ex);
    mark_table_rows(ex);
    if (ex->debug)
        debug_dump(ex);

    fam fams[MAX_FAMS];
    int nfams = 0, ordinal = 0;
    int nprimary = find_families(ex, fams, &nfams);
    if (nprimary == 0)
        nprimary = find_generic_family(ex, fams, &nfams);
    if (emit_primaries(ex, a, fams, nfams, nprimary, pd.day, &ordinal))
        return -2;
    size_t nprim = ex->nout;
    /* the family of every primary, when they share one (a deal and its separate contract) */
    int one = nprim > 0;
    for (size_t i = 1; i < nprim; i++)
        one &= strcmp(ex->out[i].family, ex->out[0].family) == 0;
    ds_strlcpy(ex->single_family, one ? ex->out[0].family : "", sizeof ex->single_family);
    if (emit_contexts(ex, a, fams, nfams, nprim, pd.day, &ordinal) || emit_table_rows(ex, a, nprim, &ordinal))
        return -2;
    stamp_sources(ex, a);
    *out = ex->out;
    return (int)ex->nout;
}
