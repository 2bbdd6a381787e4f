//! `moat run`: run a command under a compiled filter, on this machine.
//!
//! moat stays attached as the command's tracer so that a `kill` decision
//! can be reported as the call and the rule that made it: kill returns are
//! rewritten into `SECCOMP_RET_TRACE` with a marker, and when the kernel
//! stops the command there, moat reads the call (PTRACE_GET_SYSCALL_INFO),
//! explains it, and kills the command with SIGKILL. Every other decision is
//! the filter's own. With `complain`, every decision that is not allow or
//! log becomes a trace stop with another marker: moat notes the call and
//! lets it through, so a workload runs to the end and `moat run` lists
//! what the policy would have refused, with the deciding rules.

use crate::bpf::{self, Insn, SeccompData};
use crate::codegen::Program;
use crate::sema::Act;
use crate::syntax::ast::ActionKind;

/// Trace data moat reserves under `moat run` for its kill markers.
const MARKER: u32 = 0xff00;
/// Trace data of the calls `complain` lets through.
const COMPLAIN_MARKER: u32 = 0xfe00;

/// How the command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    Signaled(i32),
    /// The filter decided to kill it; the call that did it.
    Killed {
        action: Act,
        call: SeccompData,
    },
}

impl Outcome {
    /// The exit status `moat run` passes on (a shell's convention).
    pub fn status(&self) -> i32 {
        match self {
            Outcome::Exited(c) => *c,
            Outcome::Signaled(s) => 128 + s,
            Outcome::Killed { .. } => 128 + libc::SIGSYS,
        }
    }
}

/// The program `moat run` loads: kills become trace markers, and with
/// `complain` everything that is not allow or log becomes a complaint
/// marker (the call then goes through, noted).
pub fn instrument(program: &Program, complain: bool) -> Vec<Insn> {
    program
        .insns
        .iter()
        .map(|insn| {
            if insn.code != bpf::BPF_RET | bpf::BPF_K {
                return *insn;
            }
            let Some(act) = Act::from_ret(insn.k) else {
                return *insn;
            };
            let k = match act.kind {
                ActionKind::Allow | ActionKind::Log => insn.k,
                _ if complain => bpf::SECCOMP_RET_TRACE | COMPLAIN_MARKER,
                ActionKind::Kill => bpf::SECCOMP_RET_TRACE | MARKER,
                ActionKind::KillThread => bpf::SECCOMP_RET_TRACE | MARKER | 1,
                _ => insn.k,
            };
            Insn::stmt(insn.code, k)
        })
        .collect()
}

/// Runs `argv` under the program; returns how it ended. It waits for any
/// child of this process (the command's own children are traced too), so
/// a process must not run two commands at once.
#[cfg(target_os = "linux")]
pub fn run(program: &Program, argv: &[String], complain: bool) -> Result<Outcome, String> {
    run_noting(program, argv, complain).map(|(outcome, _)| outcome)
}

/// [`run`], also returning the calls `complain` let through that the
/// policy would have refused, in the order they were made.
#[cfg(target_os = "linux")]
pub fn run_noting(
    program: &Program,
    argv: &[String],
    complain: bool,
) -> Result<(Outcome, Vec<SeccompData>), String> {
    use std::ffi::CString;
    if argv.is_empty() {
        return Err("no command to run".into());
    }
    let insns = instrument(program, complain);
    let mut filter: Vec<libc::sock_filter> = insns
        .iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect();
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    let args: Vec<CString> = argv
        .iter()
        .map(|a| {
            CString::new(a.as_bytes()).map_err(|_| format!("argument `{a}` contains a NUL byte"))
        })
        .collect::<Result<_, _>>()?;
    let mut arg_ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    arg_ptrs.push(std::ptr::null());
    // Without a listener moat cannot serve notify; the flag would only
    // hand the child an fd it never reads.
    let flags = program.flags
        & !(bpf::SECCOMP_FILTER_FLAG_NEW_LISTENER | bpf::SECCOMP_FILTER_FLAG_TSYNC_ESRCH);

    // SAFETY: fork in a process that has not started other threads that
    // hold locks the child needs: the child only makes raw syscalls and
    // execs (async-signal-safe functions only).
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if child == 0 {
        // SAFETY: raw syscalls with valid pointers; on failure the child
        // reports and exits without returning into Rust code.
        unsafe {
            libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
            libc::raise(libc::SIGSTOP);
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                let msg = b"moat run: PR_SET_NO_NEW_PRIVS failed\n";
                libc::write(2, msg.as_ptr().cast(), msg.len());
                libc::_exit(126);
            }
            if libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                flags,
                &prog as *const libc::sock_fprog,
            ) < 0
            {
                let msg = b"moat run: the kernel refused the filter (seccomp failed)\n";
                libc::write(2, msg.as_ptr().cast(), msg.len());
                libc::_exit(126);
            }
            libc::execvp(arg_ptrs[0], arg_ptrs.as_ptr());
            let msg = b"moat run: cannot execute the command\n";
            libc::write(2, msg.as_ptr().cast(), msg.len());
            libc::_exit(127);
        }
    }
    let mut refused = Vec::new();
    let outcome = trace_loop(child, &mut refused)?;
    Ok((outcome, refused))
}

#[cfg(target_os = "linux")]
fn trace_loop(child: libc::pid_t, refused: &mut Vec<SeccompData>) -> Result<Outcome, String> {
    let mut status = 0;
    // SAFETY: waitpid/ptrace on our own traced children with valid pointers.
    unsafe {
        if libc::waitpid(child, &mut status, 0) != child || !libc::WIFSTOPPED(status) {
            return Err("the command did not start".into());
        }
        let opts = libc::PTRACE_O_TRACESECCOMP
            | libc::PTRACE_O_EXITKILL
            | libc::PTRACE_O_TRACECLONE
            | libc::PTRACE_O_TRACEFORK
            | libc::PTRACE_O_TRACEVFORK
            | libc::PTRACE_O_TRACEEXEC;
        libc::ptrace(libc::PTRACE_SETOPTIONS, child, 0, opts);
        libc::ptrace(libc::PTRACE_CONT, child, 0, 0);
        loop {
            let pid = libc::waitpid(-1, &mut status, libc::__WALL);
            if pid < 0 {
                return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
            }
            if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                if pid == child {
                    return Ok(if libc::WIFEXITED(status) {
                        Outcome::Exited(libc::WEXITSTATUS(status))
                    } else {
                        Outcome::Signaled(libc::WTERMSIG(status))
                    });
                }
                continue;
            }
            if !libc::WIFSTOPPED(status) {
                continue;
            }
            let sig = libc::WSTOPSIG(status);
            let event = (status >> 16) & 0xff;
            if sig == libc::SIGTRAP && event == libc::PTRACE_EVENT_SECCOMP {
                let mut info: libc::ptrace_syscall_info = std::mem::zeroed();
                let n = libc::ptrace(
                    libc::PTRACE_GET_SYSCALL_INFO,
                    pid,
                    std::mem::size_of::<libc::ptrace_syscall_info>(),
                    &mut info as *mut libc::ptrace_syscall_info,
                );
                let data = if n > 0 { info.u.seccomp.ret_data } else { 0 };
                let call = SeccompData {
                    nr: info.u.seccomp.nr as u32,
                    arch: info.arch,
                    instruction_pointer: info.instruction_pointer,
                    args: info.u.seccomp.args,
                };
                if data == COMPLAIN_MARKER {
                    // Continuing a trace stop lets the call run: the kernel
                    // does not ask the filter again after the tracer.
                    refused.push(call);
                } else if data & 0xff00 == MARKER {
                    libc::kill(child, libc::SIGKILL);
                    if pid != child {
                        libc::kill(pid, libc::SIGKILL);
                    }
                    // Reap the command before reporting.
                    while libc::waitpid(child, &mut status, libc::__WALL) == child
                        && !(libc::WIFEXITED(status) || libc::WIFSIGNALED(status))
                    {
                    }
                    let kind = if data & 1 == 0 {
                        ActionKind::Kill
                    } else {
                        ActionKind::KillThread
                    };
                    return Ok(Outcome::Killed {
                        action: Act { kind, data: 0 },
                        call,
                    });
                }
                libc::ptrace(libc::PTRACE_CONT, pid, 0, 0);
            } else if sig == libc::SIGTRAP && event != 0 {
                libc::ptrace(libc::PTRACE_CONT, pid, 0, 0);
            } else if sig == libc::SIGSTOP && pid != child {
                // New threads and children start stopped.
                libc::ptrace(libc::PTRACE_CONT, pid, 0, 0);
            } else {
                libc::ptrace(libc::PTRACE_CONT, pid, 0, sig);
            }
        }
    }
}
