//! OCI runtime-spec JSON (`linux.seccomp`) export: lands with its own
//! change; until then it refuses clearly.

use crate::arch::Arch;
use crate::diagnostics::{codes, Diagnostic};
use crate::sema::CheckedProfile;

pub fn export(profile: &CheckedProfile, _arches: &[Arch]) -> Result<String, Vec<Diagnostic>> {
    Err(vec![Diagnostic::new(codes::NOT_EXPRESSIBLE, profile.name_span, "OCI JSON export is not implemented yet")
        .with_label("cannot export this profile")
        .with_help("emit `bpf` and load it with crun's `run.oci.seccomp_bpf_data` annotation (`--emit bpf-base64`)")])
}
