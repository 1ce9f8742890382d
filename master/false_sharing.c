/* [dsm] split: the master's side of false-sharing detection
 * (dsm/false_sharing.h). Every writeback of a page that has had two
 * writers or more is diffed with the home copy it replaces, under the
 * directory lock, before the home copy is overwritten. With `split = off`
 * (the default) none of this runs. Detected pages are counted in --stats
 * and handed to the splitter (split.c). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "master/master_internal.h"

void mfs_start(struct master *m) {
    const struct shoal_config *c = m->proc->stats.config;
    m->split_on = c && c->dsm.split;
    if (!m->split_on) return;
    struct fs_config fc = {.threshold = (unsigned)c->dsm.split_threshold,
                           .grain = (unsigned)c->dsm.split_grain};
    if (fs_init(&m->fs, &fc)) {
        /* the config layer checks both ranges; anything else is a bug there */
        log_error("dsm: split: grain %u or threshold %u out of range; splitting off", fc.grain,
                  fc.threshold);
        m->split_on = false;
        return;
    }
    if (m->cfg.mech != DSM_FAULT_UFFD) {
        /* a split page is sealed, which only userfaultfd keeps apart from
         * the guest's protection (dsm_fault_seal) */
        log_warn("dsm: split: pages are not split with dsm.fault=mprotect; detection only");
        return;
    }
    int r = msplit_start(m);
    if (r) log_error("dsm: split: cannot map the shadow area: %s; detection only", strerror(-r));
}

void mfs_on_writeback(struct master *m, const struct dir_entry *e, dsm_node_t node,
                      const void *home, const void *data) {
    int v = fs_on_writeback(&m->fs, e->page, node, node_set_count(&e->writers), home, data);
    /* not while a node may lack the page's mapping (dir_adding.c): its
     * split would land on nothing there */
    if (v == FS_DETECTED && m->msplit && !dirsvc_adding_for(m, DIR_NODE_NONE, e->page))
        msplit_detected(m, e->page);
    if (v == FS_DETECTED)
        log_debug("dsm: page 0x%" PRIx64 " is falsely shared (%u conflicts)",
                  e->page * DSM_PAGE_SIZE, fs_find(&m->fs, e->page)->conflicts);
}

void mfs_forget(struct master *m, uint64_t first, uint64_t n) {
    if (m->split_on) fs_forget(&m->fs, first, n);
}

void mfs_stats_json(struct master *m, FILE *f) {
    pthread_mutex_lock(&m->dir_lock);
    struct fs_stats s = m->split_on ? m->fs.stats : (struct fs_stats){0};
    size_t tracked = m->split_on ? fs_tracked(&m->fs) : 0;
    unsigned threshold = m->split_on ? m->fs.cfg.threshold : 0,
             grain = m->split_on ? m->fs.cfg.grain : 0;
    uint64_t report[FS_REPORT_MAX];
    size_t nreport = m->split_on ? m->fs.nreport : 0;
    if (nreport) memcpy(report, m->fs.report, nreport * sizeof report[0]);
    pthread_mutex_unlock(&m->dir_lock);
    fprintf(f,
            "  \"false_sharing\": {\"on\": %s, \"threshold\": %u, \"grain\": %u, "
            "\"writebacks_diffed\": %" PRIu64 ", \"pages_tracked\": %zu, \"conflicts\": %" PRIu64
            ", \"true_shared\": %" PRIu64 ", \"detected\": %" PRIu64 ", \"first_detected\": [",
            m->split_on ? "true" : "false", threshold, grain, s.writebacks, tracked, s.conflicts,
            s.true_shared, s.detected);
    for (size_t i = 0; i < nreport; i++)
        fprintf(f, "%s\"0x%" PRIx64 "\"", i ? ", " : "", report[i] * DSM_PAGE_SIZE);
    fprintf(f, "]},\n");
    if (m->msplit) msplit_stats_json(m, f);
}
