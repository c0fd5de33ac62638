// Macros for the layout probes (ffi/*/layout_probe.c, compiled by ffi/native/layout_probe.ts):
// each probe prints, as one JSON object, the size and the offset and size of every field of the C
// structs a binding touches, and the value of the constants it uses:
//
//   PROBE_BEGIN();
//   STRUCT_BEGIN("SF_INFO", SF_INFO); F(SF_INFO, frames); ...; STRUCT_END();
//   CONSTANTS_BEGIN(); C(SF_TRUE); ...; CONSTANTS_END();
//   PROBE_END();
//
// prints {"SF_INFO": {"size": 32, "fields": {"frames": [0, 8], ...}}, "constants": {...}}.
#ifndef HUM_LAYOUT_PROBE_H
#define HUM_LAYOUT_PROBE_H

#include <stddef.h>
#include <stdio.h>

// Whether the next entry is the first of the object (1) and the next field or constant the first
// of its group (1): no comma goes before a first one.
static int probe_first_entry = 1;
static int probe_first_item = 1;

// Starts the top-level object, and ends it.
#define PROBE_BEGIN() printf("{\n")
#define PROBE_END() printf("\n}\n")

// Starts the entry `key` of the top-level object.
#define PROBE_ENTRY(key) (printf("%s\"%s\": ", probe_first_entry ? "" : ",\n", key), \
                          probe_first_entry = 0, probe_first_item = 1)

// Starts the entry for struct type `S` under the name `key`, and ends it.
#define STRUCT_BEGIN(key, S) (PROBE_ENTRY(key), printf("{\"size\": %zu, \"fields\": {", sizeof(S)))
#define STRUCT_END() printf("}}")

// One field of struct type `S`: "name": [offset, size].
#define F(S, name) (printf("%s\"%s\": [%zu, %zu]", probe_first_item ? "" : ", ", #name, \
                           offsetof(S, name), sizeof(((S *)0)->name)), probe_first_item = 0)

// Starts the "constants" entry, and ends it.
#define CONSTANTS_BEGIN() (PROBE_ENTRY("constants"), printf("{"))
#define CONSTANTS_END() printf("}")

// One integer constant: "name": value.
#define C(name) (printf("%s\"%s\": %lld", probe_first_item ? "" : ", ", #name, (long long)(name)), \
                 probe_first_item = 0)

#endif
