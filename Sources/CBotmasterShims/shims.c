#define _GNU_SOURCE
#include <sys/ioctl.h>
#include "CBotmasterShims.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

int cbm_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int cbm_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

short cbm_spawn_flag_setsid(void) {
    return POSIX_SPAWN_SETSID;
}

int cbm_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int cbm_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

int cbm_terminal_size(int fd, unsigned short *rows, unsigned short *columns) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0) return -1;
    *rows = size.ws_row;
    *columns = size.ws_col;
    return 0;
}

int cbm_sealed_memory_file(const char *name, size_t size) {
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)size) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int cbm_is_sealed_against_resizing(int fd) {
    int seals = fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) == (F_SEAL_SHRINK | F_SEAL_GROW);
}

// A counter page: word 0 the sequence, word 1 the number of counters, then the counters. The
// writer is another process that may be hostile, so the reader trusts nothing it finds: the
// count is clamped and a torn copy is detected by the sequence, never acted on.
typedef struct {
    _Atomic uint64_t sequence;
    _Atomic uint64_t count;
    _Atomic uint64_t values[];
} cbm_counter_page;

void cbm_counter_page_store(void *raw, const uint64_t *values, uint64_t count, uint64_t capacity) {
    cbm_counter_page *page = raw;
    if (count > capacity) count = capacity;
    uint64_t sequence = atomic_load_explicit(&page->sequence, memory_order_relaxed);
    // Start from an even number whatever the page holds.
    sequence &= ~(uint64_t)1;
    atomic_store_explicit(&page->sequence, sequence + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&page->count, count, memory_order_relaxed);
    for (uint64_t i = 0; i < count; i++) atomic_store_explicit(&page->values[i], values[i], memory_order_relaxed);
    atomic_store_explicit(&page->sequence, sequence + 2, memory_order_release);
}

int cbm_counter_page_load(
    const void *raw, uint64_t last_sequence, uint64_t *sequence, uint64_t *values, uint64_t capacity, uint64_t *count) {
    cbm_counter_page *page = (cbm_counter_page *)raw;
    uint64_t before = atomic_load_explicit(&page->sequence, memory_order_acquire);
    if (before == last_sequence) return 0;
    if (before & 1) return -1;
    uint64_t n = atomic_load_explicit(&page->count, memory_order_relaxed);
    if (n > capacity) n = capacity;
    for (uint64_t i = 0; i < n; i++) values[i] = atomic_load_explicit(&page->values[i], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&page->sequence, memory_order_relaxed) != before) return -1;
    *sequence = before;
    *count = n;
    return 1;
}

int cbm_release_free_heap(void) {
    return malloc_trim(0);
}
