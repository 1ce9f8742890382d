/* What the directory's files share and no other part of the master
 * (dir_service.c: requests, acks, writebacks, home copies;
 * dir_actions.c: the actions carried out, node 0's link; dir_layout.c:
 * layout changes). Everything here is called with dir_lock held, but
 * dirsvc_node0_main, which takes it. */
#ifndef SHOAL_MASTER_DIR_SERVICE_INTERNAL_H
#define SHOAL_MASTER_DIR_SERVICE_INTERNAL_H

#include "master/master_internal.h"

/* dir_service.c */
/* Logs what a directory call of node's for page (what) gave, unless it is
 * expected (a page forgotten meanwhile, a node gone). */
void dirsvc_check_result(int r, const char *what, uint64_t page, dsm_node_t node);
/* Node 0's copy of a borrowed page is about to change: the home copy
 * becomes a page of its own (keep), or none (node 0 becomes the owner). */
void dirsvc_unborrow(struct master *m, uint64_t page, bool keep);
/* node's writeback of page: the owner's data becomes the home copy
 * (adopt: NULL, or data's pool page, taken as it is). */
void dirsvc_writeback_locked(struct master *m, uint64_t page, dsm_node_t node, const void *data,
                             void **adopt, struct dir_actions *acts);
/* Node 0 was fetched from and keeps page in S: its copy is the home copy
 * ([dsm] borrow_home). */
void dirsvc_borrow_locked(struct master *m, uint64_t page, struct dir_actions *acts);

/* dir_actions.c */
/* Carries out acts (what requests wait for first, then what goes ahead)
 * and empties it. */
void dirsvc_run_actions(struct master *m, struct dir_actions *acts);
/* Nothing queued for node 0's link, nor being applied by it. */
bool dirsvc_node0_idle(const struct master *m);
/* Node 0's link: the thread that applies what is queued for it. */
void *dirsvc_node0_main(void *arg);

/* dir_layout.c */
/* page lies in the pages the layout change under way forgot. */
bool dirsvc_unsettled(const struct master *m, uint64_t page);
/* page lies in a range node 0 has not applied the change of yet. */
bool dirsvc_node0_closing(const struct master *m, uint64_t page);
/* The stale answer to node's request for page, made before the change
 * under way (retry: to be asked again, not taken). */
void dirsvc_send_stale(struct master *m, uint64_t page, dsm_node_t node, bool retry);

#endif
