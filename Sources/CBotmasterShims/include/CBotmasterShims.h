// The GNU extensions of glibc that Swift's Glibc module does not import (it is built without
// _GNU_SOURCE), and calls Swift cannot make (variadic ioctl). Each is a plain forwarding call;
// see shims.c.
#ifndef C_BOTMASTER_SHIMS_H
#define C_BOTMASTER_SHIMS_H

#include <spawn.h>
#include <stddef.h>
#include <stdint.h>

/// posix_spawn_file_actions_addchdir_np: the child changes directory before exec.
int cbm_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np: the child closes every fd >= from before exec.
int cbm_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// POSIX_SPAWN_SETSID: the child starts a new session (daemonizing without fork in Swift).
short cbm_spawn_flag_setsid(void);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no spawned child inherits by accident.
int cbm_pipe_cloexec(int fds[2]);

/// prctl(PR_SET_PDEATHSIG, signal): the kernel signals this process when its parent dies.
int cbm_set_parent_death_signal(int signal);

/// ioctl(fd, TIOCGWINSZ): the terminal's size; 0 on success (Swift cannot call the variadic
/// ioctl).
int cbm_terminal_size(int fd, unsigned short *rows, unsigned short *columns);

/// A shared-memory file for a page of counters (memfd_create with MFD_CLOEXEC and
/// MFD_ALLOW_SEALING), `size` bytes long and sealed against shrinking, growing and further
/// seals, so the process it is handed to can neither take the pages from under the creator's
/// mapping (a read past the end would be SIGBUS) nor unseal it. The descriptor, or -1 with
/// errno set.
int cbm_sealed_memory_file(const char *name, size_t size);

/// 1 when `fd` is a file sealed against shrinking and growing (what
/// ``cbm_sealed_memory_file`` makes), 0 otherwise: a mapping of it can never fault.
int cbm_is_sealed_against_resizing(int fd);

/// Writes `count` counters into a counter page of `capacity` counters under its sequence lock
/// (one writer): the sequence is odd while the counters change and advances by two.
void cbm_counter_page_store(void *page, const uint64_t *values, uint64_t count, uint64_t capacity);

/// Reads a counter page written by ``cbm_counter_page_store``: 1 and the counters (at most
/// `capacity`, `*count` of them) when its sequence is even, differs from `last_sequence` and did
/// not move during the copy; 0 when it has not changed; -1 when a write was under way (or the
/// writer broke the lock), so nothing consistent could be read.
int cbm_counter_page_load(
    const void *page, uint64_t last_sequence, uint64_t *sequence, uint64_t *values, uint64_t capacity, uint64_t *count);

/// malloc_trim(0): gives the heap's free pages back to the kernel; 1 when some were released.
int cbm_release_free_heap(void);

#endif
