/* rnd_gen: command line of the random-instruction generator.
 *
 *   rnd_gen gen     --seed S --count N --out DIR [--only K [--upto J]]
 *   rnd_gen list    --seed S --count N --seq K [--upto J]
 *   rnd_gen compare --seed S --count N [--only K] REF DUT
 *   rnd_gen rows
 *
 * `gen` writes DIR/batch.S and DIR/states.bin and prints the coverage
 * summary; it exits 1 when an allowed row of the decoder table was not
 * exercised. `compare` exits 1 on a mismatch and prints FIRST_MISMATCH k. */
#include <stdlib.h>
#include <string.h>

#include "tests/random/gen/rgen.h"

static void usage(void) {
    fprintf(stderr,
            "usage: rnd_gen gen|list|compare|rows [--seed S] [--count N] [--out DIR]\n"
            "       [--only K] [--upto J] [--seq K] [--min-len L] [--max-len L] [REF DUT]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    const char *cmd = argv[1], *out = ".", *files[2] = {NULL, NULL};
    struct rg_config cfg = {.seed = 1, .count = 1000, .min_len = 20, .max_len = 50};
    int only = -1, upto = -1, nfiles = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--seed") && v)
            cfg.seed = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--count") && v)
            cfg.count = (unsigned)strtoul(v, NULL, 0), i++;
        else if (!strcmp(a, "--out") && v)
            out = v, i++;
        else if ((!strcmp(a, "--only") || !strcmp(a, "--seq")) && v)
            only = atoi(v), i++;
        else if (!strcmp(a, "--upto") && v)
            upto = atoi(v), i++;
        else if (!strcmp(a, "--min-len") && v)
            cfg.min_len = (unsigned)atoi(v), i++;
        else if (!strcmp(a, "--max-len") && v)
            cfg.max_len = (unsigned)atoi(v), i++;
        else if (a[0] != '-' && nfiles < 2)
            files[nfiles++] = a;
        else
            usage();
    }
    if (cfg.min_len < 1 || cfg.max_len < cfg.min_len) usage();
    rg_rows_init();

    if (!strcmp(cmd, "gen")) {
        if (rg_write_batch(&cfg, out, only, upto)) return 2;
        if (only >= 0) return 0;
        fprintf(stdout, "rnd_gen: seed %llu, %u instructions in %u sequences\n",
                (unsigned long long)cfg.seed, cfg.count, rg_nseq(&cfg));
        return rg_coverage_report(stdout, &cfg) ? 0 : 1;
    }
    if (!strcmp(cmd, "list")) {
        if (only < 0 || (unsigned)only >= rg_nseq(&cfg)) usage();
        unsigned len = rg_seq_len(&cfg, (unsigned)only);
        struct rg_unit *u = malloc(cfg.max_len * sizeof *u);
        rg_seq_units(&cfg, (unsigned)only, u);
        if (upto >= 0 && (unsigned)upto < len) len = (unsigned)upto;
        printf("sequence %u (seed %llu), %u instructions:\n", only, (unsigned long long)cfg.seed,
               len);
        for (unsigned j = 0; j < len; j++) {
            printf("  [%u] %s\n", j, rg_rows[u[j].row].row->name);
            rg_print_unit(stdout, &u[j]);
        }
        free(u);
        return 0;
    }
    if (!strcmp(cmd, "compare")) {
        if (nfiles != 2) usage();
        return rg_compare(&cfg, files[0], files[1], only, stdout);
    }
    if (!strcmp(cmd, "rows")) {
        rg_setup(&cfg);
        for (unsigned i = 0; i < rg_nrows; i++) {
            const struct rg_row *r = &rg_rows[i];
            printf("%-10s %-24s %s mem=%d ok=%u rejects:", r->family, r->row->name,
                   r->status == RG_OK ? "ok" : r->reason, r->mem, r->rejects[V_OK]);
            for (unsigned v = V_SHADOWED; v < V_NUM; v++)
                if (r->rejects[v]) printf(" %s=%u", rg_verdict_name[v], r->rejects[v]);
            printf("\n");
        }
        return 0;
    }
    usage();
}
