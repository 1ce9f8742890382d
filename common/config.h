/* The run's tunable knobs: INI files (`--config FILE`, parsed with inih)
 * and `-o section.key=value` overrides, checked against one table of known
 * keys (common/config_keys.c). That table drives parsing, validation, the
 * `-v` listing, the JSON written into `--stats`, and the reference in
 * docs/config.md (a unit test keeps the two in sync).
 *
 * Everything the runtime reads comes from one struct shoal_config, passed
 * explicitly; layers below common/ that must not depend on it (net/) get
 * their own small config filled by the caller.
 *
 * Errors: functions return 0, or a negative errno with a message in the
 * caller's buffer that names where the bad input came from (FILE:LINE and
 * the key, or the -o option). Nothing is logged here. */
#ifndef SHOAL_COMMON_CONFIG_H
#define SHOAL_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum config_fault { CONFIG_FAULT_UFFD, CONFIG_FAULT_MPROTECT };
enum config_placement {
    CONFIG_PLACEMENT_ROUND_ROBIN,
    CONFIG_PLACEMENT_BLOCK,
    CONFIG_PLACEMENT_HINT,
};
/* In the order of enum net_emul_latency_mode (net/emul.h). */
enum config_latency_mode { CONFIG_LATENCY_TOTAL, CONFIG_LATENCY_ADDED };

/* Field types are checked against the key table at compile time:
 * bool for on/off, int for an enum (the values' order in the table is the
 * C enum's), uint64_t for integers, durations and sizes. */
struct shoal_config {
    struct {
        int fault; /* enum config_fault */
        bool forwarding;
        bool first_touch_ahead;   /* untouched pages claimed ahead of a write stream */
        bool async_adds;          /* layout changes that only add are not waited for */
        bool borrow_home;         /* node 0's S copy is the master's home copy */
        uint64_t forward_trigger; /* requests in one stream before pushing */
        uint64_t forward_window;  /* pages pushed ahead, at most */
        uint64_t push_batch;      /* pages sent ahead per message, at most */
        bool push_tripwire;       /* a pushed run's first page reports the walk's progress */
        bool direct_transfer;     /* owner -> requester pages on slave-to-slave links */
        bool split;
        uint64_t split_threshold;   /* false-sharing conflicts before a split */
        uint64_t split_grain;       /* bytes per shadow page */
        uint64_t unsplit_threshold; /* foreign grain writes in a row before an unsplit; 0: never */
    } dsm;
    struct {
        int placement;       /* enum config_placement */
        uint64_t group_size; /* threads per node, placement = block */
    } sched;
    struct {
        uint64_t latency_us;     /* emulated one-way latency per message */
        int latency_mode;        /* enum config_latency_mode */
        uint64_t bandwidth_mbit; /* per-link cap; 0: none */
        uint64_t connect_timeout_ms;
        uint64_t join_timeout_ms;
        uint64_t handshake_timeout_ms;
        uint64_t heartbeat_ms;    /* 0: none */
        uint64_t peer_timeout_ms; /* 0: never */
        uint64_t max_queue_mb;    /* per peer; 0: no cap */
        uint64_t busy_poll_us;    /* loop threads poll this long after a frame */
    } network;
    struct {
        bool local;           /* words one node uses alone are lent to it */
        uint64_t local_after; /* ops in a row from one node before a loan */
    } futex;
    struct {
        bool page_events;         /* --stats records every remote page fault */
        uint64_t page_events_max; /* per node; later ones are only counted */
        uint64_t progress_ms;     /* a progress line on stderr this often; 0: none */
    } stats;
};

enum config_type {
    CONFIG_BOOL,     /* on | off */
    CONFIG_ENUM,     /* one of the key's values */
    CONFIG_INT,      /* decimal integer in the key's unit */
    CONFIG_DURATION, /* integer in the key's unit (us, ms, s) or with a suffix ns/us/ms/s */
    CONFIG_SIZE,     /* bytes, or with a suffix k/M/G (powers of 1024) */
};

/* One known key. */
struct config_key {
    const char *section, *name;
    enum config_type type;
    size_t offset;             /* of the field in struct shoal_config */
    const char *def;           /* default, as it would be written in a file */
    uint64_t min, max;         /* CONFIG_INT/DURATION/SIZE: inclusive range */
    bool pow2;                 /* the value must be a power of two */
    const char *unit;          /* "us", "ms", "bytes", "pages", ...; NULL for bool/enum */
    const char *const *values; /* CONFIG_ENUM: NULL-terminated */
    const char *doc;           /* one line, for docs/config.md and -v */
};

/* The table, in documentation order. */
const struct config_key *config_keys(size_t *count);
const struct config_key *config_key_find(const char *section, const char *name);

/* Every key at its default. */
void config_defaults(struct shoal_config *c);

/* Sets one key from its text value. why gets the reason on failure
 * (without the location, which the caller knows). Returns 0 or -EINVAL
 * (unknown section or key, bad value). */
int config_set(struct shoal_config *c, const char *section, const char *name, const char *value,
               char *why, size_t whylen);

/* Reads an INI file over c: keys it names replace what c holds, so later
 * files override earlier ones. Returns 0, -errno if the file cannot be
 * read, or -EINVAL for bad content; err then says "FILE:LINE: ...". */
int config_load_file(struct shoal_config *c, const char *path, char *err, size_t errlen);
/* The same for INI text in memory; name stands for the file in messages. */
int config_load_string(struct shoal_config *c, const char *text, const char *name, char *err,
                       size_t errlen);

/* Applies "section.key=value" (a -o option). Returns 0 or -EINVAL, err
 * saying "-o OPTION: ...". */
int config_apply_override(struct shoal_config *c, const char *opt, char *err, size_t errlen);

/* Rules between keys, checked once everything is applied (e.g. the peer
 * timeout must outlast the heartbeat). Returns 0 or -EINVAL. */
int config_check(const struct shoal_config *c, char *err, size_t errlen);

/* The value of key k in c as it would be written in a file. */
void config_format_value(const struct shoal_config *c, const struct config_key *k, char *buf,
                         size_t len);

/* The effective configuration as an INI file that config_load_file reads
 * back to the same struct (for -v). */
void config_print(const struct shoal_config *c, FILE *out);
/* The same as one JSON object {"dsm": {"fault": "uffd", ...}, ...}: on/off
 * as booleans, numbers as numbers, enums as strings (for --stats). */
void config_write_json(const struct shoal_config *c, FILE *out);

#endif
