/* A node's DSM over aliased guest pages (alias.h): the page operations
 * the page-state table calls, which take a key to its active guest page,
 * the fault path of an aliased page (moving the bytes to the page the
 * access came through), and the layout changes that take pages away. */
#ifndef SHOAL_CLUSTER_DSM_ALIAS_H
#define SHOAL_CLUSTER_DSM_ALIAS_H

#include <stdbool.h>
#include <stdint.h>

struct dsm_node;

/* struct dsm_page_ops members (opaque: the node): a guest page goes to
 * dsm/fault.h as before; a key to its active page here (install: the
 * active page, or the lowest page showing the key; wake: every page
 * showing it). A key no page here shows any more is nothing to do. */
int dsm_alias_install(void *node, uint64_t page, const void *data, int prot);
int dsm_alias_protect_run(void *node, uint64_t page, uint32_t n, int prot);
long dsm_alias_install_run(void *node, uint64_t page, uint32_t n, const void *data, int prot);
int dsm_alias_protect(void *node, uint64_t page, int prot);
int dsm_alias_copy_out(void *node, uint64_t page, void *buf);
int dsm_alias_drop(void *node, uint64_t page);
int dsm_alias_wake(void *node, uint64_t page);

/* [start, start+len) (bytes), just mapped, shows key.. (LAYOUT_ALIAS):
 * whatever a racing access put there as an ordinary page goes first. */
void dsm_alias_add(struct dsm_node *n, uint64_t start, uint64_t len, uint64_t key);

/* A fault on guest page: false when the page is not aliased (the caller
 * goes on as for any page); else handled: the bytes moved here from the
 * key's active page, or the key's request made as for any page. */
bool dsm_alias_fault(struct dsm_node *n, uint64_t page, bool write);

/* Guest pages [start, start+len) (bytes) are about to stop showing their
 * keys (munmap, a mapping over them, mremap): before the host change,
 * the bytes of each key whose active page is there move to another page
 * of the key, and keys no page shows any more are forgotten here and
 * reported to dead (may be NULL). keep (the master, before mremap moves
 * the range): first every key's newest bytes come to its page in the
 * range, and stay there too (they move with the host mapping, which is
 * then aliased again: syscall/shared_file.h sf_realias). */
void dsm_alias_unmapping(struct dsm_node *n, uint64_t start, uint64_t len, bool keep,
                         void (*dead)(void *ctx, uint64_t key), void *ctx);

/* Whether any page showing key lies in an executable mapping here. */
bool dsm_alias_in_exec(struct dsm_node *n, uint64_t key);
/* key's bytes may change elsewhere now (DSM_EV_DROPPED): translations
 * of its pages in executable mappings go. */
void dsm_alias_code_gone(struct dsm_node *n, uint64_t key);

/* In a forked child (a lone process, this its only thread, fault capture
 * gone): each aliased page gets its key's bytes from the key's active
 * page, so every mapping of a shared page reads what the parent had.
 * Reads the table without its lock: a lock another thread of the parent
 * held at the fork stays held in the child. */
void dsm_alias_fork_child(struct dsm_node *n);

#endif
