/* common/config.c: the key table, INI files, -o overrides, validation,
 * printing, JSON, and docs/config.md kept in sync with the table. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"

static char err[1024];

/* Loads text over defaults; returns the result. */
static int load(struct shoal_config *c, const char *text) {
    config_defaults(c);
    err[0] = 0;
    return config_load_string(c, text, "test.ini", err, sizeof err);
}

static void expect_error(const char *text, const char *must_contain) {
    struct shoal_config c;
    int r = load(&c, text);
    CU_ASSERT_EQUAL(r, -EINVAL);
    if (!strstr(err, must_contain)) {
        fprintf(stderr, "\n  input: %s\n  error: %s\n  expected it to contain: %s\n", text, err,
                must_contain);
        CU_FAIL("error message lacks the expected text");
    }
}

static void test_table(void) {
    size_t n;
    const struct config_key *k = config_keys(&n);
    CU_ASSERT(n >= 14);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_PTR_EQUAL(config_key_find(k[i].section, k[i].name), &k[i]);
        CU_ASSERT(k[i].doc && strlen(k[i].doc) > 10);
        /* every default is a valid value of its own key */
        struct shoal_config c;
        config_defaults(&c);
        char why[256] = "";
        CU_ASSERT_EQUAL(config_set(&c, k[i].section, k[i].name, k[i].def, why, sizeof why), 0);
        /* and it is what config_defaults set */
        char v[128];
        config_format_value(&c, &k[i], v, sizeof v);
        CU_ASSERT_STRING_EQUAL(v, k[i].def);
        if (k[i].type == CONFIG_ENUM) CU_ASSERT_PTR_NOT_NULL(k[i].values);
        if (k[i].type >= CONFIG_INT) CU_ASSERT(k[i].min <= k[i].max && k[i].unit);
        /* sections are contiguous, so -v and JSON print each once */
        for (size_t j = i + 2; j < n; j++)
            if (!strcmp(k[j].section, k[i].section))
                CU_ASSERT_STRING_EQUAL(k[j - 1].section, k[i].section);
    }
    CU_ASSERT_PTR_NULL(config_key_find("dsm", "nope"));
}

static void test_defaults(void) {
    struct shoal_config c;
    config_defaults(&c);
    CU_ASSERT_EQUAL(c.dsm.fault, CONFIG_FAULT_UFFD);
    CU_ASSERT_EQUAL(c.sched.placement, CONFIG_PLACEMENT_ROUND_ROBIN);
    CU_ASSERT_EQUAL(c.network.latency_us, 0);
    CU_ASSERT_EQUAL(c.network.bandwidth_mbit, 0);
    CU_ASSERT_EQUAL(c.dsm.split_grain, 128);
    CU_ASSERT_EQUAL(config_check(&c, err, sizeof err), 0);
}

static void test_file_values(void) {
    struct shoal_config c;
    int r = load(&c, "; a comment\n"
                     "# another\n"
                     "[dsm]\n"
                     "fault = mprotect\n"
                     "forwarding=off ; inline comment\n"
                     "split = on\n"
                     "split_grain = 1k\n"
                     "split_threshold = 2\n"
                     "\n"
                     "[sched]\n"
                     "placement = hint\n"
                     "group_size = 8\n"
                     "[network]\n"
                     "latency_us = 2ms\n"
                     "bandwidth_mbit = 1000\n"
                     "heartbeat_ms = 1s\n"
                     "peer_timeout_ms = 5000\n");
    CU_ASSERT_EQUAL_FATAL(r, 0);
    CU_ASSERT_EQUAL(c.dsm.fault, CONFIG_FAULT_MPROTECT);
    CU_ASSERT_FALSE(c.dsm.forwarding);
    CU_ASSERT_TRUE(c.dsm.split);
    CU_ASSERT_EQUAL(c.dsm.split_grain, 1024);
    CU_ASSERT_EQUAL(c.dsm.split_threshold, 2);
    CU_ASSERT_EQUAL(c.sched.placement, CONFIG_PLACEMENT_HINT);
    CU_ASSERT_EQUAL(c.sched.group_size, 8);
    CU_ASSERT_EQUAL(c.network.latency_us, 2000);
    CU_ASSERT_EQUAL(c.network.bandwidth_mbit, 1000);
    CU_ASSERT_EQUAL(c.network.heartbeat_ms, 1000);
    CU_ASSERT_EQUAL(c.network.peer_timeout_ms, 5000);
    /* untouched keys keep their defaults */
    CU_ASSERT_EQUAL(c.network.connect_timeout_ms, 30000);
    /* the same key twice: the later line wins */
    CU_ASSERT_EQUAL(load(&c, "[sched]\ngroup_size = 3\ngroup_size = 5\n"), 0);
    CU_ASSERT_EQUAL(c.sched.group_size, 5);
    /* no trailing newline, an empty file */
    CU_ASSERT_EQUAL(load(&c, "[sched]\ngroup_size = 7"), 0);
    CU_ASSERT_EQUAL(c.sched.group_size, 7);
    CU_ASSERT_EQUAL(load(&c, ""), 0);
}

static void test_file_errors(void) {
    expect_error("[dsm]\nfault = uffd\n[nosuch]\n", "test.ini:3: unknown section [nosuch]");
    expect_error("[nosuch]\n", "test.ini:1: unknown section [nosuch]");
    expect_error("[dsm]\n\nfaults = uffd\n", "test.ini:3: unknown key 'faults' in [dsm]");
    expect_error("[dsm]\nfault = fast\n",
                 "test.ini:2: dsm.fault: 'fast' is not one of: uffd, mprotect");
    expect_error("[dsm]\nsplit = yes\n", "test.ini:2: dsm.split: 'yes' is not on or off");
    expect_error("[dsm]\nsplit_grain = 96\n",
                 "test.ini:2: dsm.split_grain: 96 is not a power of two");
    expect_error("[dsm]\nsplit_grain = 4\n", "out of range [8, 2048] bytes");
    expect_error("[dsm]\nsplit_grain = 12x\n", "is not a size");
    expect_error("[sched]\ngroup_size = 0\n", "test.ini:2: sched.group_size: 0 is out of range");
    expect_error("[sched]\ngroup_size = -1\n", "is not a whole number of threads");
    expect_error("[sched]\ngroup_size = 4 threads\n", "is not a whole number");
    expect_error("[sched]\ngroup_size = 99999999999999999999999\n", "is not a whole number");
    expect_error("[sched]\ngroup_size =\n", "is not a whole number");
    expect_error("[network]\nlatency_us = 1500ns\n", "'1500ns' is not a whole number of us");
    expect_error("[network]\nlatency_us = 3h\n", "unknown unit 'h'");
    expect_error("[network]\nlatency_us = 11s\n", "out of range");
    expect_error("group_size = 4\n", "test.ini:1: 'group_size' is outside any section");
    expect_error("[dsm]\nfault uffd\n", "test.ini:2: syntax error");
    char longline[400];
    snprintf(longline, sizeof longline, "[dsm]\n; %0300d\n", 0);
    expect_error(longline, "test.ini:2: line longer than");
    /* the first error is the one reported */
    expect_error("[dsm]\nfault = x\nsplit = y\n", "test.ini:2:");
}

static char *write_temp(const char *text) {
    char *path = strdup("/tmp/shoal_test_config_XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_files_in_order(void) {
    char *a = write_temp("[network]\nlatency_us = 100\nbandwidth_mbit = 1000\n");
    char *b = write_temp("[network]\nlatency_us = 27\n\n[sched]\nplacement = block\n");
    char *bad = write_temp("[network]\n\nlatency_us = slow\n");
    struct shoal_config c;
    config_defaults(&c);
    CU_ASSERT_EQUAL(config_load_file(&c, a, err, sizeof err), 0);
    CU_ASSERT_EQUAL(config_load_file(&c, b, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.network.latency_us, 27);       /* the later file wins */
    CU_ASSERT_EQUAL(c.network.bandwidth_mbit, 1000); /* what it does not name stays */
    CU_ASSERT_EQUAL(c.sched.placement, CONFIG_PLACEMENT_BLOCK);
    /* -o overrides files */
    CU_ASSERT_EQUAL(config_apply_override(&c, "network.latency_us=5", err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.network.latency_us, 5);

    CU_ASSERT_EQUAL(config_load_file(&c, bad, err, sizeof err), -EINVAL);
    char where[128];
    snprintf(where, sizeof where, "%s:3: network.latency_us: 'slow'", bad);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, where));
    CU_ASSERT_EQUAL(config_load_file(&c, "/nonexistent/shoal.ini", err, sizeof err), -ENOENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/shoal.ini"));
    unlink(a), unlink(b), unlink(bad);
    free(a), free(b), free(bad);
}

static void test_overrides(void) {
    struct shoal_config c;
    config_defaults(&c);
    CU_ASSERT_EQUAL(config_apply_override(&c, "dsm.split=on", err, sizeof err), 0);
    CU_ASSERT_TRUE(c.dsm.split);
    CU_ASSERT_EQUAL(config_apply_override(&c, "sched.placement=round-robin", err, sizeof err), 0);
    CU_ASSERT_EQUAL(config_apply_override(&c, "network.heartbeat_ms=2s", err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.network.heartbeat_ms, 2000);
    static const struct {
        const char *opt, *msg;
    } bad[] = {
        {"dsm.split", "-o dsm.split: expected section.key=value"},
        {"split=on", "-o split=on: expected section.key=value"},
        {".split=on", "expected section.key=value"},
        {"dsm.=on", "expected section.key=value"},
        {"dsm.splat=on", "-o dsm.splat=on: unknown key 'splat' in [dsm]"},
        {"dns.split=on", "-o dns.split=on: unknown section [dns]"},
        {"dsm.split=maybe", "-o dsm.split=maybe: dsm.split: 'maybe' is not on or off"},
        {"network.latency_us=", "is not a duration"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(config_apply_override(&c, bad[i].opt, err, sizeof err), -EINVAL);
        if (!strstr(err, bad[i].msg)) {
            fprintf(stderr, "\n  -o %s: '%s' lacks '%s'\n", bad[i].opt, err, bad[i].msg);
            CU_FAIL("override error message");
        }
    }
}

static void test_check(void) {
    struct shoal_config c;
    config_defaults(&c);
    c.network.heartbeat_ms = 0;
    CU_ASSERT_EQUAL(config_check(&c, err, sizeof err), -EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "network.peer_timeout_ms"));
    c.network.peer_timeout_ms = 0; /* never time out: no heartbeat needed */
    CU_ASSERT_EQUAL(config_check(&c, err, sizeof err), 0);
    config_defaults(&c);
    c.network.peer_timeout_ms = c.network.heartbeat_ms + 1;
    CU_ASSERT_EQUAL(config_check(&c, err, sizeof err), -EINVAL);
    config_defaults(&c);
    c.network.latency_us = 5000000; /* 5 s each way: 10 s default timeout is too short */
    CU_ASSERT_EQUAL(config_check(&c, err, sizeof err), -EINVAL);
}

__attribute__((noinline)) static char *print_to_string(const struct shoal_config *c, int json) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (json)
        config_write_json(c, f);
    else
        config_print(c, f);
    fclose(f);
    return buf;
}

static void test_print_round_trip(void) {
    struct shoal_config c, back;
    CU_ASSERT_EQUAL_FATAL(load(&c, "[dsm]\nfault = mprotect\nsplit = on\nsplit_grain = 64\n"
                                   "[sched]\nplacement = hint\n[network]\nlatency_us = 27\n"),
                          0);
    char *text = print_to_string(&c, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "[dsm]\nfault = mprotect\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "latency_us = 27 ; us\n"));
    config_defaults(&back);
    CU_ASSERT_EQUAL(config_load_string(&back, text, "printed", err, sizeof err), 0);
    size_t n;
    const struct config_key *k = config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        char a[128], b[128];
        config_format_value(&c, &k[i], a, sizeof a);
        config_format_value(&back, &k[i], b, sizeof b);
        CU_ASSERT_STRING_EQUAL(a, b);
    }
    free(text);
}

static void test_json(void) {
    struct shoal_config c;
    CU_ASSERT_EQUAL_FATAL(load(&c, "[dsm]\nsplit = on\nforwarding = off\n[network]\n"
                                   "bandwidth_mbit = 1000\n"),
                          0);
    char *j = print_to_string(&c, 1);
    CU_ASSERT_EQUAL(j[0], '{');
    CU_ASSERT_EQUAL(j[strlen(j) - 1], '}');
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"dsm\": {\"fault\": \"uffd\", \"forwarding\": false"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"split\": true"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"sched\": {\"placement\": \"round-robin\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"bandwidth_mbit\": 1000"));
    /* braces balance and every key appears once */
    int depth = 0, min_depth = 1;
    for (const char *p = j; *p; p++) {
        depth += *p == '{';
        depth -= *p == '}';
        if (p[1] && depth < min_depth) min_depth = depth;
    }
    CU_ASSERT_EQUAL(depth, 0);
    CU_ASSERT_EQUAL(min_depth, 1);
    size_t n;
    const struct config_key *k = config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        char q[96];
        snprintf(q, sizeof q, "\"%s\": ", k[i].name);
        const char *hit = strstr(j, q);
        CU_ASSERT_PTR_NOT_NULL(hit);
        if (hit) CU_ASSERT_PTR_NULL(strstr(hit + 1, q));
    }
    free(j);
}

/* docs/config.md documents every key, with its default, in a table row
 * that starts "| `section.key` |". */
static void test_docs_in_sync(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *cut = strstr(path, "tests/unit/test_config.c");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
    strcpy(cut, "docs/config.md");
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char *doc = NULL;
    size_t cap = 0;
    ssize_t len = getdelim(&doc, &cap, 0, f);
    fclose(f);
    CU_ASSERT_FATAL(len > 0);
    size_t n;
    const struct config_key *k = config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        char row[128];
        snprintf(row, sizeof row, "\n| `%s.%s` |", k[i].section, k[i].name);
        const char *hit = strstr(doc, row);
        if (!hit) {
            fprintf(stderr, "\n  docs/config.md has no row for %s.%s\n", k[i].section, k[i].name);
            CU_FAIL("key missing from docs/config.md");
            continue;
        }
        const char *eol = strchr(hit + 1, '\n');
        char want[160];
        snprintf(want, sizeof want, "| `%s` |", k[i].def);
        char *line = strndup(hit + 1, eol ? (size_t)(eol - hit - 1) : strlen(hit + 1));
        if (!strstr(line, want)) {
            fprintf(stderr, "\n  docs/config.md row for %s.%s lacks the default %s\n", k[i].section,
                    k[i].name, want);
            CU_FAIL("default missing from docs/config.md");
        }
        free(line);
    }
    free(doc);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("config", NULL, NULL);
    CU_add_test(s, "key table", test_table);
    CU_add_test(s, "defaults", test_defaults);
    CU_add_test(s, "file values", test_file_values);
    CU_add_test(s, "file errors name file, line, key", test_file_errors);
    CU_add_test(s, "files in order, then -o", test_files_in_order);
    CU_add_test(s, "-o overrides", test_overrides);
    CU_add_test(s, "rules between keys", test_check);
    CU_add_test(s, "-v listing reads back", test_print_round_trip);
    CU_add_test(s, "JSON", test_json);
    CU_add_test(s, "docs/config.md in sync", test_docs_in_sync);
}
