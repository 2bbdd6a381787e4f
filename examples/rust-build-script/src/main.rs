//! Installs the filter build.rs compiled, then does its work under it.
//! `moat-example-build-script` prints a report and exits 0;
//! `moat-example-build-script spawn` tries to start /bin/true, which the
//! policy does not allow: the kernel kills the process with SIGSYS.

static POLICY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/policy.bpf"));
const FLAGS: &str = include_str!(concat!(env!("OUT_DIR"), "/policy.flags"));

fn main() {
    let flags: u32 = FLAGS.trim().parse().expect("build.rs writes a number");
    if let Err(e) = moat::install(POLICY, flags) {
        eprintln!("cannot install the seccomp filter: {e}");
        std::process::exit(2);
    }
    println!("filter installed: {} instructions", POLICY.len() / 8);
    match std::fs::File::open("/etc/hostname") {
        Ok(_) => println!("open /etc/hostname: allowed"),
        Err(e) => println!("open /etc/hostname: {}", e.kind()),
    }
    println!("pid {} (getpid is allowed)", std::process::id());
    if std::env::args().nth(1).as_deref() == Some("spawn") {
        println!("starting /bin/true");
        let _ = std::process::Command::new("/bin/true").status();
        println!("unreachable: the filter kills the process first");
    }
}
