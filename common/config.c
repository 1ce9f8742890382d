/* Parsing, validation and printing of struct shoal_config, driven by the
 * key table (config_keys.c). INI syntax is inih's; this file reads the
 * lines for it so that messages can name the line of any error. */
#define _GNU_SOURCE
#include "common/config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...) {
    if (!buf || !len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

const struct config_key *config_key_find(const char *section, const char *name) {
    size_t n;
    const struct config_key *k = config_keys(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(k[i].section, section) && !strcmp(k[i].name, name)) return &k[i];
    return NULL;
}

static bool section_known(const char *section) {
    size_t n;
    const struct config_key *k = config_keys(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(k[i].section, section)) return true;
    return false;
}

/* "dsm, sched, network" for messages. */
static void list_sections(char *buf, size_t len) {
    size_t n, used = 0;
    const struct config_key *k = config_keys(&n);
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(k[i - 1].section, k[i].section)) continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", k[i].section);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
}

static void list_keys(const char *section, char *buf, size_t len) {
    size_t n, used = 0;
    const struct config_key *k = config_keys(&n);
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(k[i].section, section)) continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", k[i].name);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
}

/* ---- values ---------------------------------------------------------------- */

static int parse_uint(const char *s, uint64_t *out, const char **end) {
    if (*s < '0' || *s > '9') return -1; /* no sign, no space, no empty */
    errno = 0;
    char *e;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno) return -1;
    *out = v;
    *end = e;
    return 0;
}

/* Nanoseconds per unit name, 0 if unknown. */
static uint64_t unit_ns(const char *u) {
    if (!strcmp(u, "ns")) return 1;
    if (!strcmp(u, "us")) return 1000;
    if (!strcmp(u, "ms")) return 1000000;
    if (!strcmp(u, "s")) return 1000000000;
    return 0;
}

static int parse_duration(const struct config_key *k, const char *s, uint64_t *out, char *why,
                          size_t wl) {
    uint64_t v;
    const char *e;
    if (parse_uint(s, &v, &e)) {
        say(why, wl,
            "'%s' is not a duration (a whole number of %s, or with a suffix ns, us, ms, s)", s,
            k->unit);
        return -1;
    }
    if (!*e) {
        *out = v;
        return 0;
    }
    uint64_t from = unit_ns(e), to = unit_ns(k->unit);
    if (!from) {
        say(why, wl, "'%s': unknown unit '%s' (ns, us, ms, s)", s, e);
        return -1;
    }
    if (v > UINT64_MAX / from || (v * from) % to) {
        say(why, wl, "'%s' is not a whole number of %s", s, k->unit);
        return -1;
    }
    *out = v * from / to;
    return 0;
}

static int parse_size(const char *s, uint64_t *out, char *why, size_t wl) {
    uint64_t v;
    const char *e;
    unsigned shift = 0;
    if (!parse_uint(s, &v, &e)) {
        switch (*e) {
        case 0: break;
        case 'k':
        case 'K': shift = 10; break;
        case 'm':
        case 'M': shift = 20; break;
        case 'g':
        case 'G': shift = 30; break;
        default: shift = 64;
        }
        if (shift < 64 && (!*e || !e[1]) && v <= (UINT64_MAX >> shift)) {
            *out = v << shift;
            return 0;
        }
    }
    say(why, wl, "'%s' is not a size (bytes, or with a suffix k, M, G)", s);
    return -1;
}

static void *field(struct shoal_config *c, const struct config_key *k) {
    return (char *)c + k->offset;
}
static const void *cfield(const struct shoal_config *c, const struct config_key *k) {
    return (const char *)c + k->offset;
}

static int set_value(struct shoal_config *c, const struct config_key *k, const char *value,
                     char *why, size_t wl) {
    uint64_t v = 0;
    const char *e;
    switch (k->type) {
    case CONFIG_BOOL:
        if (!strcmp(value, "on"))
            *(bool *)field(c, k) = true;
        else if (!strcmp(value, "off"))
            *(bool *)field(c, k) = false;
        else {
            say(why, wl, "'%s' is not on or off", value);
            return -1;
        }
        return 0;
    case CONFIG_ENUM:
        for (int i = 0; k->values[i]; i++)
            if (!strcmp(value, k->values[i])) {
                *(int *)field(c, k) = i;
                return 0;
            }
        char list[256] = "";
        size_t used = 0;
        for (int i = 0; k->values[i] && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                     k->values[i]);
        say(why, wl, "'%s' is not one of: %s", value, list);
        return -1;
    case CONFIG_INT:
        if (parse_uint(value, &v, &e) || *e) {
            say(why, wl, "'%s' is not a whole number of %s", value, k->unit);
            return -1;
        }
        break;
    case CONFIG_DURATION:
        if (parse_duration(k, value, &v, why, wl)) return -1;
        break;
    case CONFIG_SIZE:
        if (parse_size(value, &v, why, wl)) return -1;
        break;
    }
    if (v < k->min || v > k->max) {
        say(why, wl, "%s is out of range [%llu, %llu] %s", value, (unsigned long long)k->min,
            (unsigned long long)k->max, k->unit);
        return -1;
    }
    if (k->pow2 && (v & (v - 1))) {
        say(why, wl, "%s is not a power of two", value);
        return -1;
    }
    *(uint64_t *)field(c, k) = v;
    return 0;
}

int config_set(struct shoal_config *c, const char *section, const char *name, const char *value,
               char *why, size_t whylen) {
    char list[512];
    if (!section_known(section)) {
        list_sections(list, sizeof list);
        say(why, whylen, "unknown section [%s] (known: %s)", section, list);
        return -EINVAL;
    }
    const struct config_key *k = config_key_find(section, name);
    if (!k) {
        list_keys(section, list, sizeof list);
        say(why, whylen, "unknown key '%s' in [%s] (known: %s)", name, section, list);
        return -EINVAL;
    }
    char inner[256];
    if (set_value(c, k, value, inner, sizeof inner)) {
        say(why, whylen, "%s.%s: %s", section, name, inner);
        return -EINVAL;
    }
    return 0;
}

void config_defaults(struct shoal_config *c) {
    memset(c, 0, sizeof *c);
    size_t n;
    const struct config_key *k = config_keys(&n);
    char why[256];
    for (size_t i = 0; i < n; i++) {
        /* A default the table cannot parse is a bug in the table; the
         * unit test catches it, and the field stays zero. */
        (void)set_value(c, &k[i], k[i].def, why, sizeof why);
    }
}

/* ---- INI files ---------------------------------------------------------------- */

/* inih (as Debian builds it) does not pass line numbers to the handler,
 * so the lines are fed through this reader, which counts them; inih
 * handles each line right after reading it. */
struct ini_ctx {
    struct shoal_config *cfg;
    const char *name;
    /* one of: */
    FILE *f;
    const char *text;
    unsigned line;
    int failed; /* the first error is kept; inih goes on, we do not care */
    char *err;
    size_t errlen;
};

static void ini_fail(struct ini_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ini_fail(struct ini_ctx *x, const char *fmt, ...) {
    if (x->failed++) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    say(x->err, x->errlen, "%s:%u: %s", x->name, x->line, msg);
}

/* A "[section]" line: inih tells the handler nothing about a section
 * without keys, so sections are checked here. */
static void check_section_line(struct ini_ctx *x, const char *line) {
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line != '[') return;
    const char *end = strchr(line, ']');
    if (!end) return; /* inih reports the syntax error */
    char name[64];
    size_t n = (size_t)(end - line - 1);
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, line + 1, n);
    name[n] = 0;
    if (!section_known(name)) {
        char list[256];
        list_sections(list, sizeof list);
        ini_fail(x, "unknown section [%s] (known: %s)", name, list);
    }
}

static char *read_line(char *buf, int size, void *stream) {
    struct ini_ctx *x = stream;
    size_t n = 0;
    const char *src = x->text;
    if (x->f) {
        if (!fgets(buf, size, x->f)) return NULL;
        n = strlen(buf);
        if (n == (size_t)size - 1 && buf[n - 1] != '\n' && !feof(x->f)) goto too_long;
    } else {
        if (!*src) return NULL;
        const char *nl = strchr(src, '\n');
        n = nl ? (size_t)(nl - src + 1) : strlen(src);
        if (n >= (size_t)size) goto too_long;
        memcpy(buf, src, n);
        buf[n] = 0;
        x->text = src + n;
    }
    x->line++;
    check_section_line(x, buf);
    return buf;
too_long:
    x->line++;
    ini_fail(x, "line longer than %d characters", size - 2);
    return NULL; /* stops inih: the rest of the line would look like a line */
}

static int on_key(void *user, const char *section, const char *name, const char *value) {
    struct ini_ctx *x = user;
    char why[512];
    if (!*section) {
        ini_fail(x, "'%s' is outside any section", name);
        return 0;
    }
    if (!section_known(section)) return 0; /* reported at the [section] line */
    if (config_set(x->cfg, section, name, value, why, sizeof why)) {
        ini_fail(x, "%s", why);
        return 0;
    }
    return 1;
}

static int ini_run(struct ini_ctx *x) {
    int r = ini_parse_stream(read_line, x, on_key, x);
    if (x->failed) return -EINVAL;
    if (r > 0) {
        say(x->err, x->errlen, "%s:%d: syntax error (expected [section] or key = value)", x->name,
            r);
        return -EINVAL;
    }
    if (r < 0) {
        say(x->err, x->errlen, "%s: out of memory", x->name);
        return -ENOMEM;
    }
    return 0;
}

int config_load_file(struct shoal_config *c, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        say(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    struct ini_ctx x = {.cfg = c, .name = path, .f = f, .err = err, .errlen = errlen};
    int r = ini_run(&x);
    if (!r && ferror(f)) {
        say(err, errlen, "%s: read error", path);
        r = -EIO;
    }
    fclose(f);
    return r;
}

int config_load_string(struct shoal_config *c, const char *text, const char *name, char *err,
                       size_t errlen) {
    struct ini_ctx x = {.cfg = c, .name = name, .text = text, .err = err, .errlen = errlen};
    return ini_run(&x);
}

int config_apply_override(struct shoal_config *c, const char *opt, char *err, size_t errlen) {
    const char *eq = strchr(opt, '=');
    const char *dot = strchr(opt, '.');
    if (!eq || !dot || dot > eq || dot == opt || eq == dot + 1) {
        say(err, errlen, "-o %s: expected section.key=value", opt);
        return -EINVAL;
    }
    char section[64], name[64];
    size_t ls = (size_t)(dot - opt), ln = (size_t)(eq - dot - 1);
    if (ls >= sizeof section || ln >= sizeof name) {
        say(err, errlen, "-o %s: unknown key", opt);
        return -EINVAL;
    }
    memcpy(section, opt, ls);
    section[ls] = 0;
    memcpy(name, dot + 1, ln);
    name[ln] = 0;
    char why[512];
    if (config_set(c, section, name, eq + 1, why, sizeof why)) {
        say(err, errlen, "-o %s: %s", opt, why);
        return -EINVAL;
    }
    return 0;
}

int config_check(const struct shoal_config *c, char *err, size_t errlen) {
    const typeof(c->network) *n = &c->network;
    if (n->peer_timeout_ms && !n->heartbeat_ms) {
        say(err, errlen,
            "network.peer_timeout_ms = %llu needs heartbeats (network.heartbeat_ms = 0): an idle "
            "peer would be dropped",
            (unsigned long long)n->peer_timeout_ms);
        return -EINVAL;
    }
    /* One late heartbeat must not end the run: a peer is lost only after
     * missing two, plus the emulated delay they travel with. */
    if (n->peer_timeout_ms &&
        n->peer_timeout_ms * 1000 < 2 * n->heartbeat_ms * 1000 + 2 * n->latency_us) {
        say(err, errlen,
            "network.peer_timeout_ms = %llu is too short: it must be at least twice "
            "network.heartbeat_ms (%llu) plus twice network.latency_us",
            (unsigned long long)n->peer_timeout_ms, (unsigned long long)n->heartbeat_ms);
        return -EINVAL;
    }
    return 0;
}

/* ---- output ---------------------------------------------------------------------- */

void config_format_value(const struct shoal_config *c, const struct config_key *k, char *buf,
                         size_t len) {
    switch (k->type) {
    case CONFIG_BOOL: snprintf(buf, len, "%s", *(const bool *)cfield(c, k) ? "on" : "off"); break;
    case CONFIG_ENUM: {
        int v = *(const int *)cfield(c, k), i = 0;
        while (k->values[i] && i < v)
            i++;
        snprintf(buf, len, "%s", k->values[i] ? k->values[i] : "?");
        break;
    }
    default: snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)cfield(c, k)); break;
    }
}

void config_print(const struct shoal_config *c, FILE *out) {
    size_t n;
    const struct config_key *k = config_keys(&n);
    char v[128];
    for (size_t i = 0; i < n; i++) {
        if (!i || strcmp(k[i - 1].section, k[i].section))
            fprintf(out, "%s[%s]\n", i ? "\n" : "", k[i].section);
        config_format_value(c, &k[i], v, sizeof v);
        fprintf(out, "%s = %s", k[i].name, v);
        if (k[i].unit) fprintf(out, " ; %s", k[i].unit);
        fputc('\n', out);
    }
}

void config_write_json(const struct shoal_config *c, FILE *out) {
    size_t n;
    const struct config_key *k = config_keys(&n);
    char v[128];
    fputc('{', out);
    for (size_t i = 0; i < n; i++) {
        bool first_in_section = !i || strcmp(k[i - 1].section, k[i].section);
        if (first_in_section) fprintf(out, "%s\"%s\": {", i ? "}, " : "", k[i].section);
        config_format_value(c, &k[i], v, sizeof v);
        fprintf(out, "%s\"%s\": ", first_in_section ? "" : ", ", k[i].name);
        switch (k[i].type) {
        case CONFIG_BOOL: fputs(*(const bool *)cfield(c, &k[i]) ? "true" : "false", out); break;
        case CONFIG_ENUM: fprintf(out, "\"%s\"", v); break; /* table names need no escaping */
        default: fputs(v, out); break;
        }
    }
    fputs(n ? "}}" : "}", out);
}
