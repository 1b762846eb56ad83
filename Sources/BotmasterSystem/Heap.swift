import CBotmasterShims

/// The process's `malloc` heap.
public enum Heap {
    /// Gives the heap's free pages back to the kernel (glibc's `malloc_trim`): after a burst of
    /// short-lived allocations, freed memory otherwise stays in the process, counted in its
    /// private memory for as long as it runs.
    public static func releaseFreePages() {
        _ = cbm_release_free_heap()
    }
}
