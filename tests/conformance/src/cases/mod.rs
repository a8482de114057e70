//! The catalogue, one module per section (numbered like Autobahn's; sections 12 and 13 are
//! permessage-deflate, RFC 7692).

pub mod s10_misc;
pub mod s12_deflate;
pub mod s13_negotiation;
pub mod s1_framing;
pub mod s2_ping;
pub mod s3_rsv;
pub mod s4_opcodes;
pub mod s5_fragmentation;
pub mod s6_utf8;
pub mod s7_close;
pub mod s9_limits;

use crate::case::Case;

/// The section names, for the summary table.
pub const SECTIONS: [(u32, &str); 11] = [
    (1, "framing"),
    (2, "ping/pong"),
    (3, "reserved bits"),
    (4, "reserved opcodes"),
    (5, "fragmentation"),
    (6, "UTF-8"),
    (7, "close handling"),
    (9, "limits/performance"),
    (10, "misc and handshake"),
    (12, "permessage-deflate"),
    (13, "deflate negotiation"),
];

/// Every case, for a server whose message size limit is `max_message`.
pub fn all(max_message: usize) -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(s1_framing::cases());
    v.extend(s2_ping::cases());
    v.extend(s3_rsv::cases());
    v.extend(s4_opcodes::cases());
    v.extend(s5_fragmentation::cases());
    v.extend(s6_utf8::cases());
    v.extend(s7_close::cases());
    v.extend(s9_limits::cases(max_message));
    v.extend(s10_misc::cases());
    v.extend(s12_deflate::cases(max_message));
    v.extend(s13_negotiation::cases());
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_sections_known() {
        let all = super::all(16 << 20);
        let mut ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate case ids");
        for c in &all {
            assert!(
                super::SECTIONS.iter().any(|(n, _)| *n == c.section()),
                "{}",
                c.id
            );
            assert!(
                c.custom.is_some() || !c.scripts.is_empty(),
                "{} does nothing",
                c.id
            );
        }
        assert!(all.len() >= 200, "{} cases", all.len());
    }
}
