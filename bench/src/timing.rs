//! Compile time: in-process (repeated calls, median per call) and whole
//! process (hyperfine when installed, else repeated spawns).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Median time per call over the samples, in microseconds.
    pub median_us: f64,
    pub min_us: f64,
    pub samples: usize,
}

/// Times `f`: batches of calls sized to about 2 ms, for about `budget`.
pub fn time<F: FnMut()>(mut f: F, budget: Duration) -> Timing {
    for _ in 0..3 {
        f();
    }
    let t = Instant::now();
    f();
    let one = t.elapsed().max(Duration::from_nanos(50));
    let batch = ((Duration::from_millis(2).as_nanos() / one.as_nanos()) as usize).clamp(1, 100_000);
    let mut per_call = Vec::new();
    let start = Instant::now();
    while (start.elapsed() < budget || per_call.len() < 5) && per_call.len() < 1000 {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        per_call.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
    }
    per_call.sort_by(f64::total_cmp);
    Timing {
        median_us: per_call[per_call.len() / 2],
        min_us: per_call[0],
        samples: per_call.len(),
    }
}

/// One whole-process measurement.
#[derive(Clone, Debug)]
pub struct ProcTiming {
    pub name: String,
    pub command: String,
    pub mean_ms: f64,
    pub stddev_ms: f64,
    pub median_ms: f64,
    pub runs: usize,
    pub tool: &'static str,
}

pub fn have_hyperfine() -> bool {
    Command::new("hyperfine")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn quote(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-+=,:".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Times whole commands (`name`, argv). With hyperfine: `-N` (no shell),
/// warm-up runs, at least `runs` runs each.
pub fn processes(
    cmds: &[(String, Vec<String>)],
    runs: usize,
    out: &Path,
) -> Result<Vec<ProcTiming>, String> {
    for (name, argv) in cmds {
        let st = Command::new(&argv[0])
            .args(&argv[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("{name}: {e}"))?;
        if !st.status.success() {
            return Err(format!(
                "{name} failed: {}\n{}",
                quote(argv),
                String::from_utf8_lossy(&st.stderr)
            ));
        }
    }
    if have_hyperfine() {
        let json = out.join("hyperfine.json");
        let mut c = Command::new("hyperfine");
        c.args([
            "-N",
            "--warmup",
            "5",
            "--min-runs",
            &runs.to_string(),
            "--style",
            "none",
        ])
        .arg("--export-json")
        .arg(&json);
        for (name, argv) in cmds {
            c.arg("-n").arg(name).arg(quote(argv));
        }
        let o = c
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| e.to_string())?;
        if !o.status.success() {
            return Err(format!("hyperfine: {}", String::from_utf8_lossy(&o.stderr)));
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let mut res = Vec::new();
        for (r, (name, argv)) in v["results"].as_array().into_iter().flatten().zip(cmds) {
            res.push(ProcTiming {
                name: name.clone(),
                command: quote(argv),
                mean_ms: r["mean"].as_f64().unwrap_or(0.0) * 1e3,
                stddev_ms: r["stddev"].as_f64().unwrap_or(0.0) * 1e3,
                median_ms: r["median"].as_f64().unwrap_or(0.0) * 1e3,
                runs: r["times"].as_array().map_or(0, Vec::len),
                tool: "hyperfine",
            });
        }
        return Ok(res);
    }
    let mut res = Vec::new();
    for (name, argv) in cmds {
        let mut t = Vec::new();
        for _ in 0..runs + 3 {
            let s = Instant::now();
            let st = Command::new(&argv[0])
                .args(&argv[1..])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map_err(|e| e.to_string())?;
            if !st.success() {
                return Err(format!("{name} failed"));
            }
            t.push(s.elapsed().as_secs_f64() * 1e3);
        }
        let t = &mut t[3..];
        t.sort_by(f64::total_cmp);
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        let var = t.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / t.len() as f64;
        res.push(ProcTiming {
            name: name.clone(),
            command: quote(argv),
            mean_ms: mean,
            stddev_ms: var.sqrt(),
            median_ms: t[t.len() / 2],
            runs: t.len(),
            tool: "spawn loop",
        });
    }
    Ok(res)
}
