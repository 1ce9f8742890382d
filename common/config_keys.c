/* The table of known configuration keys: the one place a knob is added.
 * Parsing, validation, -v, the --stats JSON and the docs/config.md check
 * all read it. Adding a key: a field in struct shoal_config, a row here,
 * a row in docs/config.md (test_config fails until it is there). */
#include <stddef.h>

#include "common/config.h"

/* offsetof the field, and a compile error (negative array size) when the
 * field's type is not the one the key's type stores. */
#define FIELD(f, T)                                                                                \
    (offsetof(struct shoal_config, f) +                                                            \
     0 * sizeof(char[_Generic(((struct shoal_config *)0)->f, T : 1, default                        \
                              : -1)]))

#define BOOL_KEY(sec, key, dflt, text)                                                             \
    {                                                                                              \
        .section = #sec, .name = #key, .type = CONFIG_BOOL, .offset = FIELD(sec.key, bool),        \
        .def = dflt, .doc = text                                                                   \
    }
#define ENUM_KEY(sec, key, vals, dflt, text)                                                       \
    {                                                                                              \
        .section = #sec, .name = #key, .type = CONFIG_ENUM, .offset = FIELD(sec.key, int),         \
        .def = dflt, .values = vals, .doc = text                                                   \
    }
#define NUM_KEY(sec, key, ty, dflt, lo, hi, u, text)                                               \
    {                                                                                              \
        .section = #sec, .name = #key, .type = ty, .offset = FIELD(sec.key, uint64_t),             \
        .def = dflt, .min = lo, .max = hi, .unit = u, .doc = text                                  \
    }

/* In the order of enum config_fault / enum config_placement. */
static const char *const fault_values[] = {"uffd", "mprotect", NULL};
static const char *const placement_values[] = {"round-robin", "block", "hint", NULL};
/* In the order of enum config_latency_mode. */
static const char *const latency_mode_values[] = {"total", "added", NULL};

static const struct config_key keys[] = {
    ENUM_KEY(dsm, fault, fault_values, "uffd",
             "how page faults on guest memory are caught: userfaultfd (one VMA per mapping) "
             "or mprotect+SIGSEGV (fallback; splits VMAs)"),
    BOOL_KEY(dsm, forwarding, "on",
             "the master detects streams of page requests per node and pushes the next pages "
             "in S state before they are asked for"),
    BOOL_KEY(dsm, first_touch_ahead, "on",
             "a node that writes untouched pages of a private mapping in a stream gets the next "
             "ones in M with it (zero pages, one message each, no fault), as forwarding pushes a "
             "read stream's next pages; off with split = on"),
    BOOL_KEY(dsm, async_adds, "on",
             "a layout change that only adds (an mmap of free space, a brk that grows, an "
             "mprotect that takes nothing away) returns without waiting for every node's ack; "
             "a node that meets the address first catches up"),
    BOOL_KEY(dsm, borrow_home, "on",
             "a page node 0 keeps in S after another node read it is the master's home copy "
             "itself: no second copy of the page on the master's host; off with split = on"),
    NUM_KEY(dsm, forward_trigger, CONFIG_INT, "3", 2, 1024, "requests",
            "requests with one constant stride that make a stream and start forwarding"),
    NUM_KEY(dsm, forward_window, CONFIG_INT, "256", 1, 4096, "pages",
            "most pages pushed ahead of one stream (the adaptive window's ceiling)"),
    NUM_KEY(dsm, push_batch, CONFIG_INT, "16", 1, 64, "pages",
            "consecutive pages sent ahead of any request (forwarding pushes, first-touch claims) "
            "that travel to a node in one message and are installed there at once; 1: a "
            "message per page"),
    BOOL_KEY(dsm, push_tripwire, "off",
             "the first page of each run of pushed pages stays off the node's memory until a "
             "thread touches it; that touch installs it there and tells the master how far the "
             "stream got, so forwarding keeps its window ahead without a miss"),
    BOOL_KEY(dsm, direct_transfer, "off",
             "a slave that owns a page another slave asks for sends it there directly, on a "
             "slave-to-slave link, instead of through the master"),
    BOOL_KEY(dsm, split, "off",
             "the master splits a falsely shared page (written by several nodes at disjoint "
             "offsets) into shadow pages"),
    NUM_KEY(dsm, split_threshold, CONFIG_INT, "8", 1, 1000000, "conflicts",
            "false-sharing conflicts seen on one page before it is split"),
    {.section = "dsm",
     .name = "split_grain",
     .type = CONFIG_SIZE,
     .offset = FIELD(dsm.split_grain, uint64_t),
     .def = "128",
     .min = 8,
     .max = 2048,
     .pow2 = true,
     .unit = "bytes",
     .doc = "bytes of a page that one shadow page covers (a power of two)"},
    NUM_KEY(dsm, unsplit_threshold, CONFIG_INT, "8", 0, 1000000, "writes",
            "writes in a row to grains of a split page that another node wrote last (true "
            "sharing, or one node sweeping the page) before it is made whole again; 0: never"),

    ENUM_KEY(sched, placement, placement_values, "round-robin",
             "where a new thread runs: round-robin over nodes 1..N-1 then 0, blocks of "
             "group_size threads per node, or by the guest's hint groups"),
    NUM_KEY(sched, group_size, CONFIG_INT, "4", 1, 1000000, "threads",
            "consecutive threads placed on one node when placement = block"),

    NUM_KEY(network, latency_us, CONFIG_DURATION, "0", 0, 10000000, "us",
            "one-way latency of every link, each direction (emulated network; see latency_mode)"),
    ENUM_KEY(network, latency_mode, latency_mode_values, "total",
             "total: latency_us is the link's whole one-way latency (the real transport's own, "
             "calibrated per link, is subtracted); added: latency_us comes on top of it"),
    NUM_KEY(network, bandwidth_mbit, CONFIG_INT, "0", 0, 10000000, "Mbit/s",
            "per-link, per-direction bandwidth cap with serialization delay and queuing; "
            "0: no cap"),
    NUM_KEY(network, connect_timeout_ms, CONFIG_DURATION, "30000", 1, 3600000, "ms",
            "how long a node keeps retrying to reach its peer before giving up"),
    NUM_KEY(network, join_timeout_ms, CONFIG_DURATION, "30000", 1, 3600000, "ms",
            "how long the master waits for every slave to join and set up before the run "
            "ends with an error"),
    NUM_KEY(network, handshake_timeout_ms, CONFIG_DURATION, "5000", 1, 600000, "ms",
            "a connection not authenticated within this is dropped"),
    NUM_KEY(network, heartbeat_ms, CONFIG_DURATION, "1000", 0, 600000, "ms",
            "interval of keep-alive messages on idle links; 0: none"),
    NUM_KEY(network, peer_timeout_ms, CONFIG_DURATION, "10000", 0, 3600000, "ms",
            "silence after which a peer counts as lost and the run ends; 0: never"),
    NUM_KEY(network, max_queue_mb, CONFIG_INT, "1024", 0, 1048576, "MiB",
            "bytes queued for one peer at most: a peer that stops reading is dropped (the run "
            "ends naming it) instead of growing this node's memory; 0: no cap"),
    NUM_KEY(network, busy_poll_us, CONFIG_DURATION, "200", 0, 100000, "us",
            "after a message arrives a node's network thread keeps polling this long before "
            "it sleeps, so the next message of a conversation finds it awake; 0: never poll"),

    BOOL_KEY(futex, local, "on",
             "a futex word that only one slave's threads use is lent to that node, which "
             "decides their private waits and wakes on it without a round trip to the master "
             "until another node uses the word"),
    NUM_KEY(futex, local_after, CONFIG_INT, "4", 1, 1000000, "ops",
            "futex ops in a row from one node on one word before the master lends it there "
            "(doubled after each recall of that word)"),

    BOOL_KEY(stats, page_events, "off",
             "--stats records each remote page fault (time, node, page, kind) in "
             "\"page_faults\"; costs 24 bytes per fault while the run lasts"),
    NUM_KEY(stats, page_events_max, CONFIG_INT, "1000000", 1, 100000000, "events",
            "page-fault events kept per node; later ones are counted in \"events_dropped\""),
    NUM_KEY(stats, progress_ms, CONFIG_DURATION, "0", 0, 3600000, "ms",
            "a line on stderr this often while the guest runs: threads, system calls, "
            "translations and, in a cluster, page requests and traffic, as rates; 0: none"),
};

const struct config_key *config_keys(size_t *count) {
    *count = sizeof keys / sizeof keys[0];
    return keys;
}
