//! Settings of the C allocator (glibc's malloc) for Nói's processes; no-ops elsewhere.
//!
//! ONNX Runtime allocates its activations with `malloc`, from whichever thread runs the model.
//! glibc gives threads their own heaps ("arenas", up to eight per core) and keeps what was
//! freed in them for reuse, so a process whose decodes move between threads holds, for good,
//! roughly one working set per heap it ever touched. These settings bound that.

/// Environment variable that, when set, leaves the heap count to glibc (which reads it).
const ARENA_MAX_VARIABLE: &str = "MALLOC_ARENA_MAX";

/// Heaps for a long-running server: one per core of the machines Nói is made for. Decodes run
/// at most a few at once; more heaps than that only keep more freed memory.
const SERVER_HEAPS: i32 = 2;

/// Buffers of 4 MiB and more (the encoder's activations) are mapped per allocation and
/// unmapped when freed. glibc otherwise raises that threshold as such buffers come and go and
/// keeps them in per-thread heaps: two concurrent runs without ONNX Runtime's arena then held
/// ~130 MB more for good (M model, 2-minute file: peak RSS 446 MB, 345 MB with this). Costs
/// page faults on every large allocation, worth it only where runs come and go for hours.
fn return_large_buffers_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes an allocator setting; a refusal (0) leaves the default.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

/// For a process that serves for hours (`noi serve`, the desktop app): every dictation stream
/// and request runs on threads that come and go, which spreads freed memory over up to sixteen
/// heaps (two cores) and let RSS creep up over an hour of soak. Call before starting worker threads.
/// With `MALLOC_ARENA_MAX` in the environment the allocator is left as glibc sets it up from
/// its variables (someone is tuning or comparing by hand).
pub fn settle_for_a_long_running_process() {
    if std::env::var_os(ARENA_MAX_VARIABLE).is_some() {
        return;
    }
    return_large_buffers_to_the_system();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: as above.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, SERVER_HEAPS);
    }
}
