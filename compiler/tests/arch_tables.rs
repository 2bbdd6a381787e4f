//! The generated architecture tables checked against independent sources:
//! the host C library's syscall numbers, values from the kernel's own tables
//! and headers, the argument layouts the kernel's split wrappers spell out,
//! and the generator itself (re-running it must reproduce the checked-in
//! files, and it must refuse data it cannot map).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use moat::arch::{self, Arch, Arg, ArgRole, ArgType, Slots, Syscall};

const U16: ArgType = ArgType::Int {
    bits: 16,
    signed: false,
};
const I32: ArgType = ArgType::Int {
    bits: 32,
    signed: true,
};
const U32: ArgType = ArgType::Int {
    bits: 32,
    signed: false,
};
const I64: ArgType = ArgType::Int {
    bits: 64,
    signed: true,
};
const U64: ArgType = ArgType::Int {
    bits: 64,
    signed: false,
};

fn sc(arch: Arch, name: &str) -> &'static Syscall {
    arch.syscall(name)
        .unwrap_or_else(|| panic!("{arch}: no syscall {name}"))
}

fn arg(arch: Arch, sys: &str, name: &str) -> &'static Arg {
    sc(arch, sys)
        .arg(name)
        .unwrap_or_else(|| panic!("{arch} {sys}: no argument {name}"))
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

/// Every `SYS_*` the libc crate defines for x86_64-linux-gnu (360 names).
#[cfg(all(
    target_os = "linux",
    target_arch = "x86_64",
    target_pointer_width = "64"
))]
#[test]
fn x86_64_numbers_match_host_libc() {
    macro_rules! host {
        ($($n:ident),* $(,)?) => { [$((stringify!($n), libc::$n)),*] };
    }
    let host = host![
        SYS__sysctl,
        SYS_accept,
        SYS_accept4,
        SYS_access,
        SYS_acct,
        SYS_add_key,
        SYS_adjtimex,
        SYS_afs_syscall,
        SYS_alarm,
        SYS_arch_prctl,
        SYS_bind,
        SYS_bpf,
        SYS_brk,
        SYS_capget,
        SYS_capset,
        SYS_chdir,
        SYS_chmod,
        SYS_chown,
        SYS_chroot,
        SYS_clock_adjtime,
        SYS_clock_getres,
        SYS_clock_gettime,
        SYS_clock_nanosleep,
        SYS_clock_settime,
        SYS_clone,
        SYS_clone3,
        SYS_close,
        SYS_close_range,
        SYS_connect,
        SYS_copy_file_range,
        SYS_creat,
        SYS_delete_module,
        SYS_dup,
        SYS_dup2,
        SYS_dup3,
        SYS_epoll_create,
        SYS_epoll_create1,
        SYS_epoll_ctl,
        SYS_epoll_ctl_old,
        SYS_epoll_pwait,
        SYS_epoll_pwait2,
        SYS_epoll_wait,
        SYS_epoll_wait_old,
        SYS_eventfd,
        SYS_eventfd2,
        SYS_execve,
        SYS_execveat,
        SYS_exit,
        SYS_exit_group,
        SYS_faccessat,
        SYS_faccessat2,
        SYS_fadvise64,
        SYS_fallocate,
        SYS_fanotify_init,
        SYS_fanotify_mark,
        SYS_fchdir,
        SYS_fchmod,
        SYS_fchmodat,
        SYS_fchmodat2,
        SYS_fchown,
        SYS_fchownat,
        SYS_fcntl,
        SYS_fdatasync,
        SYS_fgetxattr,
        SYS_finit_module,
        SYS_flistxattr,
        SYS_flock,
        SYS_fork,
        SYS_fremovexattr,
        SYS_fsconfig,
        SYS_fsetxattr,
        SYS_fsmount,
        SYS_fsopen,
        SYS_fspick,
        SYS_fstat,
        SYS_fstatfs,
        SYS_fsync,
        SYS_ftruncate,
        SYS_futex,
        SYS_futex_waitv,
        SYS_futimesat,
        SYS_get_mempolicy,
        SYS_get_robust_list,
        SYS_get_thread_area,
        SYS_getcpu,
        SYS_getcwd,
        SYS_getdents,
        SYS_getdents64,
        SYS_getegid,
        SYS_geteuid,
        SYS_getgid,
        SYS_getgroups,
        SYS_getitimer,
        SYS_getpeername,
        SYS_getpgid,
        SYS_getpgrp,
        SYS_getpid,
        SYS_getpmsg,
        SYS_getppid,
        SYS_getpriority,
        SYS_getrandom,
        SYS_getresgid,
        SYS_getresuid,
        SYS_getrlimit,
        SYS_getrusage,
        SYS_getsid,
        SYS_getsockname,
        SYS_getsockopt,
        SYS_gettid,
        SYS_gettimeofday,
        SYS_getuid,
        SYS_getxattr,
        SYS_init_module,
        SYS_inotify_add_watch,
        SYS_inotify_init,
        SYS_inotify_init1,
        SYS_inotify_rm_watch,
        SYS_io_cancel,
        SYS_io_destroy,
        SYS_io_getevents,
        SYS_io_setup,
        SYS_io_submit,
        SYS_io_uring_enter,
        SYS_io_uring_register,
        SYS_io_uring_setup,
        SYS_ioctl,
        SYS_ioperm,
        SYS_iopl,
        SYS_ioprio_get,
        SYS_ioprio_set,
        SYS_kcmp,
        SYS_kexec_file_load,
        SYS_kexec_load,
        SYS_keyctl,
        SYS_kill,
        SYS_landlock_add_rule,
        SYS_landlock_create_ruleset,
        SYS_landlock_restrict_self,
        SYS_lchown,
        SYS_lgetxattr,
        SYS_link,
        SYS_linkat,
        SYS_listen,
        SYS_listxattr,
        SYS_llistxattr,
        SYS_lookup_dcookie,
        SYS_lremovexattr,
        SYS_lseek,
        SYS_lsetxattr,
        SYS_lstat,
        SYS_madvise,
        SYS_mbind,
        SYS_membarrier,
        SYS_memfd_create,
        SYS_memfd_secret,
        SYS_migrate_pages,
        SYS_mincore,
        SYS_mkdir,
        SYS_mkdirat,
        SYS_mknod,
        SYS_mknodat,
        SYS_mlock,
        SYS_mlock2,
        SYS_mlockall,
        SYS_mmap,
        SYS_modify_ldt,
        SYS_mount,
        SYS_mount_setattr,
        SYS_move_mount,
        SYS_move_pages,
        SYS_mprotect,
        SYS_mq_getsetattr,
        SYS_mq_notify,
        SYS_mq_open,
        SYS_mq_timedreceive,
        SYS_mq_timedsend,
        SYS_mq_unlink,
        SYS_mremap,
        SYS_mseal,
        SYS_msgctl,
        SYS_msgget,
        SYS_msgrcv,
        SYS_msgsnd,
        SYS_msync,
        SYS_munlock,
        SYS_munlockall,
        SYS_munmap,
        SYS_name_to_handle_at,
        SYS_nanosleep,
        SYS_newfstatat,
        SYS_nfsservctl,
        SYS_open,
        SYS_open_by_handle_at,
        SYS_open_tree,
        SYS_openat,
        SYS_openat2,
        SYS_pause,
        SYS_perf_event_open,
        SYS_personality,
        SYS_pidfd_getfd,
        SYS_pidfd_open,
        SYS_pidfd_send_signal,
        SYS_pipe,
        SYS_pipe2,
        SYS_pivot_root,
        SYS_pkey_alloc,
        SYS_pkey_free,
        SYS_pkey_mprotect,
        SYS_poll,
        SYS_ppoll,
        SYS_prctl,
        SYS_pread64,
        SYS_preadv,
        SYS_preadv2,
        SYS_prlimit64,
        SYS_process_madvise,
        SYS_process_mrelease,
        SYS_process_vm_readv,
        SYS_process_vm_writev,
        SYS_pselect6,
        SYS_ptrace,
        SYS_putpmsg,
        SYS_pwrite64,
        SYS_pwritev,
        SYS_pwritev2,
        SYS_quotactl,
        SYS_quotactl_fd,
        SYS_read,
        SYS_readahead,
        SYS_readlink,
        SYS_readlinkat,
        SYS_readv,
        SYS_reboot,
        SYS_recvfrom,
        SYS_recvmmsg,
        SYS_recvmsg,
        SYS_remap_file_pages,
        SYS_removexattr,
        SYS_rename,
        SYS_renameat,
        SYS_renameat2,
        SYS_request_key,
        SYS_restart_syscall,
        SYS_rmdir,
        SYS_rseq,
        SYS_rt_sigaction,
        SYS_rt_sigpending,
        SYS_rt_sigprocmask,
        SYS_rt_sigqueueinfo,
        SYS_rt_sigreturn,
        SYS_rt_sigsuspend,
        SYS_rt_sigtimedwait,
        SYS_rt_tgsigqueueinfo,
        SYS_sched_get_priority_max,
        SYS_sched_get_priority_min,
        SYS_sched_getaffinity,
        SYS_sched_getattr,
        SYS_sched_getparam,
        SYS_sched_getscheduler,
        SYS_sched_rr_get_interval,
        SYS_sched_setaffinity,
        SYS_sched_setattr,
        SYS_sched_setparam,
        SYS_sched_setscheduler,
        SYS_sched_yield,
        SYS_seccomp,
        SYS_security,
        SYS_select,
        SYS_semctl,
        SYS_semget,
        SYS_semop,
        SYS_semtimedop,
        SYS_sendfile,
        SYS_sendmmsg,
        SYS_sendmsg,
        SYS_sendto,
        SYS_set_mempolicy,
        SYS_set_mempolicy_home_node,
        SYS_set_robust_list,
        SYS_set_thread_area,
        SYS_set_tid_address,
        SYS_setdomainname,
        SYS_setfsgid,
        SYS_setfsuid,
        SYS_setgid,
        SYS_setgroups,
        SYS_sethostname,
        SYS_setitimer,
        SYS_setns,
        SYS_setpgid,
        SYS_setpriority,
        SYS_setregid,
        SYS_setresgid,
        SYS_setresuid,
        SYS_setreuid,
        SYS_setrlimit,
        SYS_setsid,
        SYS_setsockopt,
        SYS_settimeofday,
        SYS_setuid,
        SYS_setxattr,
        SYS_shmat,
        SYS_shmctl,
        SYS_shmdt,
        SYS_shmget,
        SYS_shutdown,
        SYS_sigaltstack,
        SYS_signalfd,
        SYS_signalfd4,
        SYS_socket,
        SYS_socketpair,
        SYS_splice,
        SYS_stat,
        SYS_statfs,
        SYS_statx,
        SYS_swapoff,
        SYS_swapon,
        SYS_symlink,
        SYS_symlinkat,
        SYS_sync,
        SYS_sync_file_range,
        SYS_syncfs,
        SYS_sysfs,
        SYS_sysinfo,
        SYS_syslog,
        SYS_tee,
        SYS_tgkill,
        SYS_time,
        SYS_timer_create,
        SYS_timer_delete,
        SYS_timer_getoverrun,
        SYS_timer_gettime,
        SYS_timer_settime,
        SYS_timerfd_create,
        SYS_timerfd_gettime,
        SYS_timerfd_settime,
        SYS_times,
        SYS_tkill,
        SYS_truncate,
        SYS_tuxcall,
        SYS_umask,
        SYS_umount2,
        SYS_uname,
        SYS_unlink,
        SYS_unlinkat,
        SYS_unshare,
        SYS_uselib,
        SYS_userfaultfd,
        SYS_ustat,
        SYS_utime,
        SYS_utimensat,
        SYS_utimes,
        SYS_vfork,
        SYS_vhangup,
        SYS_vmsplice,
        SYS_vserver,
        SYS_wait4,
        SYS_waitid,
        SYS_write,
        SYS_writev,
    ];
    assert!(host.len() >= 100);
    for (sys_name, nr) in host {
        let name = sys_name.strip_prefix("SYS_").unwrap();
        let s = sc(Arch::X86_64, name);
        assert_eq!(i64::from(s.nr), nr, "x86_64 {name}");
        assert_eq!(Arch::X86_64.syscall_by_nr(s.nr).map(|s| s.name), Some(name));
    }
}

/// Numbers from the kernel's syscall tables (arch/*/entry/syscalls, the
/// generic unistd.h, arch/arm/tools/syscall.tbl, arch/arm/include/uapi/asm/unistd.h).
#[test]
fn known_numbers_on_every_arch() {
    use Arch::*;
    let known: &[(Arch, &str, u32)] = &[
        (X86_64, "read", 0),
        (X86_64, "openat", 257),
        (X86_64, "clone", 56),
        (X86_64, "clone3", 435),
        (X86_64, "seccomp", 317),
        (X32, "read", 0x4000_0000),
        (X32, "openat", 0x4000_0101),
        (X32, "rt_sigaction", 0x4000_0200),
        (X32, "ioctl", 0x4000_0202),
        (X32, "execve", 0x4000_0208),
        (I386, "read", 3),
        (I386, "socketcall", 102),
        (I386, "mmap2", 192),
        (I386, "_llseek", 140),
        (I386, "openat", 295),
        (I386, "socket", 359),
        (I386, "pread64", 180),
        (I386, "fadvise64_64", 272),
        (Aarch64, "openat", 56),
        (Aarch64, "read", 63),
        (Aarch64, "clone", 220),
        (Aarch64, "mmap", 222),
        (Arm, "openat", 322),
        (Arm, "read", 3),
        (Arm, "mmap2", 192),
        (Arm, "arm_fadvise64_64", 270),
        (Arm, "arm_sync_file_range", 341),
        (Arm, "breakpoint", 0xf_0001),
        (Arm, "cacheflush", 0xf_0002),
        (Arm, "set_tls", 0xf_0005),
        (Riscv64, "openat", 56),
        (Riscv64, "clone", 220),
        (Ppc64le, "openat", 286),
        (Ppc64le, "pread64", 179),
        (Ppc64le, "socketcall", 102),
        (Ppc64le, "sync_file_range2", 308),
        (S390x, "openat", 288),
        (S390x, "socketcall", 102),
        (S390x, "mmap", 90),
        (S390x, "seccomp", 348),
    ];
    for &(arch, name, nr) in known {
        assert_eq!(sc(arch, name).nr, nr, "{arch} {name}");
        assert_eq!(
            arch.syscall_by_nr(nr).map(|s| s.name),
            Some(name),
            "{arch} {nr:#x}"
        );
    }
}

#[test]
fn absent_syscalls_are_absent() {
    use Arch::*;
    for (arch, name) in [
        (Aarch64, "open"),
        (Riscv64, "open"),
        (Aarch64, "mmap2"),
        (X86_64, "socketcall"),
        (X86_64, "mmap2"),
        (I386, "arch_specific_nonsense"),
        (Arm, "mmap"),
        (X86_64, "set_tls"),
    ] {
        assert!(arch.syscall(name).is_none(), "{arch} {name}");
    }
    // x32 has no rt_sigaction at x86_64's number 13; the x32 bit alone is read.
    assert!(X32.syscall_by_nr(0x4000_000d).is_none());
    assert_eq!(X32.syscall_by_nr(0x4000_0000).map(|s| s.name), Some("read"));
    // The x32 bit is not an x86_64 number, and x86_64 numbers are not x32's.
    assert!(X86_64.syscall_by_nr(0x4000_0000).is_none());
    assert!(X32.syscall_by_nr(0).is_none());
    assert!(X86_64.syscall_by_nr(u32::MAX).is_none());
}

#[test]
fn unimplemented_entries_are_marked() {
    // x86_64 keeps numbers for calls without an entry point.
    for name in ["tuxcall", "security", "vserver", "afs_syscall", "uselib"] {
        let s = sc(Arch::X86_64, name);
        assert!(!s.implemented, "{name}");
        assert!(s.args.is_empty() && s.nslots == 0, "{name}");
    }
    assert!(sc(Arch::X86_64, "openat").implemented);
    assert_eq!(sc(Arch::X86_64, "openat").kernel_name, "sys_openat");
    assert_eq!(
        sc(Arch::Arm, "pread64").kernel_name,
        "compat_sys_aarch32_pread64"
    );
}

#[test]
fn syscall_counts() {
    let counts: Vec<(Arch, usize)> = Arch::ALL.iter().map(|&a| (a, a.syscalls().len())).collect();
    use Arch::*;
    assert_eq!(
        counts,
        [
            (X86_64, 385),
            (X32, 374),
            (I386, 461),
            (Aarch64, 327),
            (Arm, 430),
            (Riscv64, 328),
            (Ppc64le, 424),
            (S390x, 390)
        ]
    );
}

#[test]
fn aliases() {
    assert_eq!(
        sc(Arch::Arm, "sync_file_range2").name,
        "arm_sync_file_range"
    );
    assert!(Arch::I386.syscall("sync_file_range2").is_none());
    assert_eq!(arch::SYSCALL_ALIASES.len(), 1);
}

// ---------------------------------------------------------------------------
// Architecture facts
// ---------------------------------------------------------------------------

#[test]
fn arch_facts() {
    use moat::bpf::Endian;
    use Arch::*;
    let facts: &[(Arch, &str, u32, Endian, bool, u32, u32)] = &[
        (X86_64, "x86_64", 0xC000_003E, Endian::Little, true, 64, 0),
        (
            X32,
            "x32",
            0xC000_003E,
            Endian::Little,
            true,
            32,
            0x4000_0000,
        ),
        (I386, "i386", 0x4000_0003, Endian::Little, false, 32, 0),
        (Aarch64, "aarch64", 0xC000_00B7, Endian::Little, true, 64, 0),
        (Arm, "arm", 0x4000_0028, Endian::Little, false, 32, 0),
        (Riscv64, "riscv64", 0xC000_00F3, Endian::Little, true, 64, 0),
        (Ppc64le, "ppc64le", 0xC000_0015, Endian::Little, true, 64, 0),
        (S390x, "s390x", 0x8000_0016, Endian::Big, true, 64, 0),
    ];
    assert_eq!(facts.len(), Arch::ALL.len());
    for &(a, name, audit, endian, wide, long, bias) in facts {
        assert_eq!(a.name(), name);
        assert_eq!(Arch::from_name(name), Some(a));
        assert_eq!(a.audit_arch(), audit, "{name}");
        assert_eq!(a.endian(), endian, "{name}");
        assert_eq!(a.is_64bit_regs(), wide, "{name}");
        assert_eq!(a.long_bits(), long, "{name}");
        assert_eq!(a.nr_bias(), bias, "{name}");
    }
    assert_eq!(Arch::from_name("x86"), Some(I386));
    assert_eq!(Arch::from_name("amd64"), None);
    assert_eq!(Ppc64le.libseccomp_table(), "ppc64");
    assert_eq!(I386.libseccomp_table(), "x86");
}

// ---------------------------------------------------------------------------
// Argument layouts
// ---------------------------------------------------------------------------

#[test]
fn pread64_position_is_split_on_32_bit_abis() {
    // x86_64: sys_pread64(fd, buf, count, loff_t pos)
    let pos = arg(Arch::X86_64, "pread64", "pos");
    assert_eq!(
        (pos.slots, pos.ty, pos.role),
        (Slots::One(3), I64, ArgRole::Param)
    );
    assert_eq!(arg(Arch::X86_64, "pread64", "offset"), pos); // man-page name
    assert_eq!(pos.c_type, "loff_t");
    assert_eq!(arg(Arch::X32, "pread64", "pos").slots, Slots::One(3));
    assert_eq!(arg(Arch::Aarch64, "pread64", "pos").ty, I64);

    // i386: ia32_pread64(fd, ubuf, count, poslo, poshi), no padding
    let pos = arg(Arch::I386, "pread64", "pos");
    assert_eq!(pos.slots, Slots::Pair { lo: 3, hi: 4 });
    assert_eq!((pos.ty, pos.role), (I64, ArgRole::Combined));
    assert_eq!(arg(Arch::I386, "pread64", "offset"), pos);
    let lo = arg(Arch::I386, "pread64", "poslo");
    assert_eq!(
        (lo.slots, lo.ty, lo.role),
        (Slots::One(3), U32, ArgRole::Part)
    );
    assert_eq!(arg(Arch::I386, "pread64", "poshi").slots, Slots::One(4));
    assert_eq!(sc(Arch::I386, "pread64").nslots, 5);
    // the same buffer argument under both kernels' names
    assert_eq!(arg(Arch::I386, "pread64", "buf").slots, Slots::One(1));
    assert_eq!(arg(Arch::X86_64, "pread64", "ubuf").slots, Slots::One(1));

    // arm: (fd, buf, count, __pad, pos_lo, pos_hi): the pair is aligned
    let s = sc(Arch::Arm, "pread64");
    assert_eq!(s.nslots, 6);
    assert_eq!(
        arg(Arch::Arm, "pread64", "pos").slots,
        Slots::Pair { lo: 4, hi: 5 }
    );
    assert_eq!(s.slot(3).unwrap().role, ArgRole::Padding);
    assert_eq!(s.slot(4).unwrap().name(), Some("pos_lo"));
    assert_eq!(s.slot(5).unwrap().name(), Some("pos_hi"));
    let sig: Vec<_> = s.logical_args().map(|a| a.name().unwrap()).collect();
    assert_eq!(sig, ["fd", "buf", "count", "pos"]);
}

#[test]
fn other_split_arguments() {
    use Arch::*;
    let pair = |arch, sys, name| {
        let a = arg(arch, sys, name);
        assert_eq!(a.role, ArgRole::Combined, "{arch} {sys} {name}");
        (a.slots, a.ty)
    };
    let p = |lo, hi| Slots::Pair { lo, hi };
    assert_eq!(pair(I386, "fallocate", "offset"), (p(2, 3), I64));
    assert_eq!(pair(I386, "fallocate", "len"), (p(4, 5), I64));
    assert_eq!(pair(Arm, "fallocate", "offset"), (p(2, 3), I64));
    assert_eq!(pair(Arm, "fallocate", "len"), (p(4, 5), I64));
    assert_eq!(arg(X86_64, "fallocate", "offset").slots, Slots::One(2));
    assert_eq!(arg(X86_64, "fallocate", "len").slots, Slots::One(3));
    // __u64 mask: unsigned
    assert_eq!(pair(I386, "fanotify_mark", "mask"), (p(2, 3), U64));
    assert_eq!(pair(Arm, "fanotify_mark", "mask"), (p(2, 3), U64));
    assert_eq!(arg(X86_64, "fanotify_mark", "mask").ty, U64);
    assert_eq!(arg(I386, "fanotify_mark", "mask_1").slots, Slots::One(2)); // syscalls.h
    assert_eq!(arg(I386, "fanotify_mark", "dirfd").slots, Slots::One(4));
    assert_eq!(arg(X86_64, "fanotify_mark", "dirfd").slots, Slots::One(3));
    assert_eq!(pair(I386, "fadvise64", "offset"), (p(1, 2), I64));
    assert_eq!(arg(I386, "fadvise64", "len").ty, U32); // size_t
    assert_eq!(arg(I386, "fadvise64", "advice").slots, Slots::One(4));
    assert_eq!(pair(I386, "fadvise64_64", "offset"), (p(1, 2), I64));
    assert_eq!(pair(I386, "fadvise64_64", "len"), (p(3, 4), I64));
    assert_eq!(pair(Arm, "arm_fadvise64_64", "offset"), (p(2, 3), I64));
    assert_eq!(arg(Arm, "arm_fadvise64_64", "advice").slots, Slots::One(1));
    assert_eq!(pair(I386, "sync_file_range", "offset"), (p(1, 2), I64));
    assert_eq!(pair(I386, "sync_file_range", "nbytes"), (p(3, 4), I64));
    assert_eq!(pair(Arm, "arm_sync_file_range", "nbytes"), (p(4, 5), I64));
    assert_eq!(pair(I386, "readahead", "offset"), (p(1, 2), I64));
    assert_eq!(pair(Arm, "readahead", "offset"), (p(2, 3), I64));
    assert_eq!(arg(Arm, "readahead", "count").slots, Slots::One(4));
    assert_eq!(pair(I386, "truncate64", "length"), (p(1, 2), I64));
    assert_eq!(pair(Arm, "ftruncate64", "length"), (p(2, 3), I64));
    // sys_llseek: offset = (offset_high << 32) | offset_low, high half first
    assert_eq!(pair(I386, "_llseek", "offset"), (p(2, 1), I64));
    assert_eq!(pair(Arm, "_llseek", "offset"), (p(2, 1), I64));
    assert!(sc(Ppc64le, "_llseek").arg("offset").is_none()); // two full registers there
                                                             // preadv family: (pos_h << 32) | pos_l on 32-bit, pos_l alone on 64-bit
    assert_eq!(pair(I386, "preadv", "pos"), (p(3, 4), I64));
    assert_eq!(pair(Arm, "pwritev2", "pos"), (p(3, 4), I64));
    assert_eq!(pair(X86_64, "preadv", "pos"), (Slots::One(3), I64));
    assert_eq!(pair(Aarch64, "pwritev2", "pos"), (Slots::One(3), I64));
    assert_eq!(arg(X86_64, "preadv", "pos_h").slots, Slots::One(4));
    assert_eq!(arg(X32, "preadv", "pos").role, ArgRole::Param); // compat_sys_preadv64
    assert_eq!(arg(X32, "preadv", "pos").ty, I64);
    assert_eq!(arg(X32, "preadv2", "flags").slots, Slots::One(4));
    assert_eq!(arg(X86_64, "preadv2", "flags").slots, Slots::One(5));
}

#[test]
fn clone_arguments_follow_meaning() {
    use Arch::*;
    // (arch, flags slot, stack slot, tls slot, child_tid slot, width)
    let expect = [
        (X86_64, 0, 1, 4, 3, U64),
        (X32, 0, 1, 4, 3, U64),
        (I386, 0, 1, 3, 4, U32),
        (Aarch64, 0, 1, 3, 4, U64),
        (Arm, 0, 1, 3, 4, U32),
        (Riscv64, 0, 1, 3, 4, U64),
        (Ppc64le, 0, 1, 3, 4, U64),
        (S390x, 1, 0, 4, 3, U64),
    ];
    for (arch, flags, stack, tls, ctid, ty) in expect {
        for name in ["flags", "clone_flags"] {
            assert_eq!(
                arg(arch, "clone", name).slots,
                Slots::One(flags),
                "{arch} {name}"
            );
        }
        assert_eq!(arg(arch, "clone", "flags").ty, ty, "{arch}");
        for name in ["stack", "newsp"] {
            assert_eq!(
                arg(arch, "clone", name).slots,
                Slots::One(stack),
                "{arch} {name}"
            );
        }
        assert_eq!(arg(arch, "clone", "tls").slots, Slots::One(tls), "{arch}");
        for name in ["child_tid", "child_tidptr"] {
            assert_eq!(
                arg(arch, "clone", name).slots,
                Slots::One(ctid),
                "{arch} {name}"
            );
        }
        assert_eq!(
            arg(arch, "clone", "parent_tid").slots,
            Slots::One(2),
            "{arch}"
        );
        assert_eq!(
            arg(arch, "clone", "clone_flags").name(),
            Some("clone_flags")
        );
    }
}

#[test]
fn widths_and_signedness() {
    use Arch::*;
    for arch in [X86_64, X32, I386, Aarch64, Arm, Riscv64, Ppc64le, S390x] {
        let flags = arg(arch, "openat", "flags");
        assert_eq!((flags.ty, flags.c_type), (I32, "int"), "{arch}");
        let mode = arg(arch, "openat", "mode");
        assert_eq!((mode.ty, mode.c_type), (U16, "umode_t"), "{arch}");
        assert_eq!(arg(arch, "openat", "dirfd").ty, I32, "{arch}");
        assert_eq!(arg(arch, "openat", "dfd").slots, Slots::One(0), "{arch}");
        assert!(arg(arch, "openat", "pathname").ty.is_pointer(), "{arch}");
        assert_eq!(
            arg(arch, "openat", "filename").slots,
            Slots::One(1),
            "{arch}"
        );
        assert_eq!(arg(arch, "kill", "pid").ty, I32, "{arch}");
        assert_eq!(arg(arch, "ioctl", "fd").ty, U32, "{arch}");
        let count = arg(arch, "read", "count");
        assert_eq!(count.c_type, "size_t");
        let want = if arch.is_64bit_regs() { U64 } else { U32 };
        assert_eq!(count.ty, want, "{arch} read.count");
        // unsigned long arg: register width; x32 enters compat_sys_ioctl,
        // whose arg is a compat_ulong_t
        let want = if arch == X32 { U32 } else { want };
        assert_eq!(arg(arch, "ioctl", "arg").ty, want, "{arch}");
        assert_eq!(arg(arch, "ioctl", "request").slots, Slots::One(1), "{arch}");
    }
    // x32: compat_* entries take 32-bit types even though registers are 64-bit.
    let sigsetsize = arg(X32, "rt_sigaction", "sigsetsize");
    assert_eq!((sigsetsize.c_type, sigsetsize.ty), ("compat_size_t", U32));
    assert_eq!(arg(X86_64, "rt_sigaction", "sigsetsize").ty, U64);
    // 16-bit ids on the classic i386/arm numbers, 32-bit on the *32 calls.
    assert_eq!(arg(I386, "setuid", "uid").ty, U16);
    assert_eq!(arg(Arm, "chown", "owner").ty, U16);
    assert_eq!(arg(I386, "setuid32", "uid").ty, U32);
    assert_eq!(arg(X86_64, "setuid", "uid").ty, U32);
    assert_eq!(arg(Aarch64, "setresgid", "sgid").ty, U32);
    // long and off_t: signed register width
    assert_eq!(arg(X86_64, "lseek", "offset").ty, I64);
    assert_eq!(arg(I386, "lseek", "offset").ty, I32);
    assert_eq!(arg(X86_64, "truncate", "length").ty, I64);
    assert_eq!(arg(X86_64, "mmap", "prot").ty, U64);
    assert_eq!(arg(Riscv64, "mmap", "off").slots, Slots::One(5)); // kernel says `offset`
}

#[test]
fn pointers() {
    use Arch::*;
    let ptr = |arch, sys, name| arg(arch, sys, name).ty == ArgType::Pointer;
    assert!(ptr(X86_64, "capget", "header")); // cap_user_header_t
    assert!(ptr(X86_64, "capset", "data")); // const cap_user_data_t
    assert!(ptr(I386, "signal", "handler")); // __sighandler_t
    assert!(ptr(X86_64, "execve", "argv")); // const char *const *
    assert!(ptr(X86_64, "rt_sigaction", "act"));
    assert!(ptr(X86_64, "clone3", "uargs"));
    assert!(ptr(X86_64, "landlock_add_rule", "rule_attr")); // const void *const
    assert!(ptr(I386, "mmap", "arg")); // old_mmap: everything behind a pointer
    assert!(!ptr(X86_64, "mmap", "addr")); // unsigned long
    assert!(!ptr(X86_64, "write", "count"));
    assert_eq!(arg(X86_64, "landlock_add_rule", "rule_type").ty, U32); // enum
}

#[test]
fn names() {
    use Arch::*;
    // kernel name first (hover), man-page and syscalls.h names accepted
    let socket = sc(X86_64, "socket");
    assert_eq!(socket.args[0].names, ["family", "domain"]);
    // sys_getrandom(ubuf, len, flags); syscalls.h (buf, count, flags); man (buf, buflen, flags)
    let len = arg(Aarch64, "getrandom", "buflen");
    assert_eq!((len.name(), len.slots), (Some("len"), Slots::One(1)));
    assert_eq!(len.names, ["len", "count", "buflen"]);
    assert_eq!(arg(X86_64, "getrandom", "buf").name(), Some("ubuf"));
    assert_eq!(arg(X86_64, "ioctl", "request").name(), Some("cmd"));
    assert_eq!(arg(X86_64, "arch_prctl", "option").slots, Slots::One(0));
    assert_eq!(arg(X86_64, "arch_prctl", "code").slots, Slots::One(0));
    assert_eq!(arg(X86_64, "arch_prctl", "addr").slots, Slots::One(1));
    // prctl's kernel names arg2..arg5 sit in slots 1..4: not names (argN is
    // positional in moat), but kept for diagnostics
    let prctl = sc(X86_64, "prctl");
    assert!(prctl.arg("arg2").is_none());
    assert_eq!(prctl.slot(1).unwrap().reserved_names, ["arg2"]);
    assert_eq!(prctl.slot(4).unwrap().reserved_names, ["arg5"]);
    assert_eq!(arg(X86_64, "prctl", "option").slots, Slots::One(0));
    // arm sigreturn's `struct pt_regs *regs` is not a caller argument
    assert_eq!(sc(Arm, "sigreturn").nslots, 0);
    assert_eq!(sc(Arm, "rt_sigreturn").args, []);
    // cacheflush(2)'s (addr, nbytes, cache) is not ARM's (start, end, flags)
    assert!(sc(Arm, "cacheflush").arg("nbytes").is_none());
    assert_eq!(arg(Arm, "cacheflush", "end").slots, Slots::One(1));
}

// ---------------------------------------------------------------------------
// errno and constants
// ---------------------------------------------------------------------------

#[test]
fn errno_values() {
    for &a in Arch::ALL {
        assert_eq!(a.errno("EPERM"), Some(1));
        assert_eq!(a.errno("ENOENT"), Some(2));
        assert_eq!(a.errno("EAGAIN"), Some(11));
        assert_eq!(a.errno("EWOULDBLOCK"), Some(11));
        assert_eq!(a.errno("EACCES"), Some(13));
        assert_eq!(a.errno("ENOSYS"), Some(38));
        assert_eq!(a.errno("ECANCELED"), Some(125));
        assert_eq!(a.errno("EHWPOISON"), Some(133));
        assert_eq!(a.errno("EPREM"), None);
        assert_eq!(a.errno("ECANCELLED"), None); // parisc only
        assert_eq!(a.errno("EDEADLK"), Some(35));
    }
    assert_eq!(Arch::X86_64.errno("EDEADLOCK"), Some(35));
    assert_eq!(Arch::Ppc64le.errno("EDEADLOCK"), Some(58));
    assert_eq!(
        arch::errno_description("EPERM"),
        Some("Operation not permitted")
    );
    assert_eq!(
        arch::errno_description("ENOSYS"),
        Some("Function not implemented")
    );
    assert_eq!(
        arch::errno_description("EWOULDBLOCK"),
        Some("Resource temporarily unavailable")
    );
    assert_eq!(arch::errno_description("nope"), None);
    let names = arch::all_errno_names();
    assert_eq!(names.len(), 133);
    assert!(names.contains(&"EPERM") && names.contains(&"EDEADLOCK"));
}

#[test]
fn constant_values() {
    use Arch::*;
    let c = |a: Arch, n| a.constant(n);
    // O_LARGEFILE: the kernel's value (glibc says 0 on 64-bit ABIs)
    for (a, v) in [
        (X86_64, 0x8000),
        (X32, 0x8000),
        (I386, 0x8000),
        (Aarch64, 0x20000),
        (Arm, 0x20000),
        (Riscv64, 0x8000),
        (Ppc64le, 0x10000),
        (S390x, 0x8000),
    ] {
        assert_eq!(c(a, "O_LARGEFILE"), Some(v), "{a}");
    }
    assert_eq!(c(X86_64, "O_DIRECTORY"), Some(0x10000));
    assert_eq!(c(Arm, "O_DIRECTORY"), Some(0x4000));
    assert_eq!(c(Ppc64le, "O_NOFOLLOW"), Some(0x8000));
    assert_eq!(c(Ppc64le, "TIOCGWINSZ"), Some(0x4008_7468));
    assert_eq!(c(X86_64, "TIOCGWINSZ"), Some(0x5413));
    for &a in Arch::ALL {
        // int -100 as 64-bit two's complement; sema narrows by argument width
        assert_eq!(c(a, "AT_FDCWD"), Some(0xffff_ffff_ffff_ff9c), "{a}");
        assert_eq!(c(a, "O_RDONLY"), Some(0), "{a}");
        assert_eq!(c(a, "CLONE_NEWUSER"), Some(0x1000_0000), "{a}");
        assert_eq!(c(a, "PR_SET_NO_NEW_PRIVS"), Some(38), "{a}");
        assert_eq!(c(a, "SIGCHLD"), Some(17), "{a}");
        assert_eq!(c(a, "SIGEMT"), None, "{a}"); // mips only
    }
    // unsigned long width per ABI
    assert_eq!(c(X86_64, "RLIM_INFINITY"), Some(u64::MAX));
    assert_eq!(c(I386, "RLIM_INFINITY"), Some(0xffff_ffff));
    assert_eq!(c(X32, "RLIM_INFINITY"), Some(0xffff_ffff));
    // x86-only constants
    assert_eq!(c(X86_64, "ARCH_SET_FS"), Some(0x1002));
    assert_eq!(c(I386, "ARCH_SET_FS"), Some(0x1002));
    assert_eq!(c(Aarch64, "ARCH_SET_FS"), None);
    assert_eq!(c(X86_64, "NO_SUCH_CONSTANT"), None);
    let info = arch::constant_info("O_LARGEFILE").unwrap();
    assert_eq!(info.group, "open_flags");
    assert!(info.note.contains("glibc"));
    assert_eq!(info.value(Ppc64le), Some(0x10000));
    assert!(arch::constant_info("SIGEMT").is_none());
    assert!(arch::all_constants().len() > 1900);
}

// ---------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------

fn compiler_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// shared/data: $MOAT_SHARED_DATA, else ../shared/data from the repository
/// root (the generator's default), else /work/shared/data.
fn data_dir() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(d) = std::env::var_os("MOAT_SHARED_DATA") {
        candidates.push(PathBuf::from(d));
    }
    candidates.push(compiler_dir().join("../../shared/data"));
    candidates.push(PathBuf::from("/work/shared/data"));
    candidates
        .into_iter()
        .find(|d| d.join("syscalls.csv").is_file())
}

fn have_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Data dir and python3, or `None` after saying why the test is skipped.
fn generator_inputs(test: &str) -> Option<PathBuf> {
    let Some(data) = data_dir() else {
        eprintln!("{test}: skipped: shared/data not found (set MOAT_SHARED_DATA)");
        return None;
    };
    if !have_python() {
        eprintln!("{test}: skipped: python3 not found");
        return None;
    }
    Some(data)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moat-arch-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_generator(data: &Path, out: &Path) -> Output {
    Command::new("python3")
        .arg(compiler_dir().join("tools/gen_arch.py"))
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run python3")
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn generator_reproduces_checked_in_tables() {
    let Some(data) = generator_inputs("generator_reproduces_checked_in_tables") else {
        return;
    };
    let out = scratch("regen");
    let o = run_generator(&data, &out);
    assert!(
        o.status.success(),
        "generator failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let checked_in = compiler_dir().join("src/arch/generated");
    assert_eq!(file_names(&out), file_names(&checked_in));
    for f in file_names(&out) {
        let fresh = std::fs::read(out.join(&f)).unwrap();
        let old = std::fs::read(checked_in.join(&f)).unwrap();
        assert!(
            fresh == old,
            "src/arch/generated/{f} is stale: run `python3 compiler/tools/gen_arch.py`"
        );
        let text = String::from_utf8(old).unwrap();
        assert!(text.starts_with(
            "// @generated by compiler/tools/gen_arch.py from shared/data — do not edit\n"
        ));
    }
    std::fs::remove_dir_all(&out).unwrap();
}

/// Copy the data set, apply `edit` to one file, and expect the generator to
/// refuse it with a message containing `expect`.
fn generator_rejects(test: &str, file: &str, edit: impl Fn(&str) -> String, expect: &str) {
    let Some(data) = generator_inputs(test) else {
        return;
    };
    let copy = scratch(test);
    for f in file_names(&data) {
        std::fs::copy(data.join(&f), copy.join(&f)).unwrap();
    }
    let original = std::fs::read_to_string(copy.join(file)).unwrap();
    let edited = edit(&original);
    assert_ne!(edited, original, "{test}: the edit changed nothing");
    std::fs::write(copy.join(file), edited).unwrap();
    let out = copy.join("out");
    let o = run_generator(&copy, &out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "{test}: generator accepted the edited data"
    );
    assert!(
        stderr.contains(expect),
        "{test}: unexpected message: {stderr}"
    );
    assert!(
        !out.exists(),
        "{test}: generator wrote output despite failing"
    );
    std::fs::remove_dir_all(&copy).unwrap();
}

#[test]
fn generator_rejects_unknown_type() {
    generator_rejects(
        "unknown_type",
        "signatures.tsv",
        |s| s.replace("\tumode_t mode\t", "\tweird_mode_t mode\t"),
        "unknown C type 'weird_mode_t'",
    );
}

#[test]
fn generator_rejects_64_bit_value_in_one_32_bit_slot() {
    generator_rejects(
        "wide_in_narrow",
        "signatures.tsv",
        |s| s.replace("\tu32 count\tu32 poslo\t", "\tloff_t count\tu32 poslo\t"),
        "64-bit 'loff_t' in one slot on 32-bit ABI x86",
    );
}

#[test]
fn generator_rejects_unpaired_halves() {
    generator_rejects(
        "unpaired_halves",
        "signatures.tsv",
        |s| {
            s.replace(
                "\toff_t offset\tunsigned int whence\t",
                "\toff_t offset_lo\tunsigned int whence\t",
            )
        },
        "looks like half of a 64-bit value",
    );
}

#[test]
fn generator_rejects_renamed_halves() {
    // The reviewed SPLIT64 table names the halves; data that no longer
    // matches it must not silently lose the pair.
    generator_rejects(
        "renamed_halves",
        "signatures.tsv",
        |s| s.replace("\tu32 pos_lo\tu32 pos_hi\t", "\tu32 pos_x\tu32 pos_y\t"),
        "SPLIT64 halves pos_lo/pos_hi not in",
    );
}
