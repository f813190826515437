//! Realistic sample cards for demos, tests and benchmarks.
//!
//! Credentials look like the real ones (`NAC1:` + Base45 text, ~230 characters,
//! the same QR version) but are random: the engine never depends on how the text
//! was made. A small xorshift generator keeps the output deterministic per seed.

use crate::card::Card;

const BASE45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: &[&str] = &[
    "秀英", "桂英", "建国", "淑珍", "玉兰", "德明", "国强", "美华", "志刚", "丽娟", "明", "伟",
    "芳", "军",
];
const STREETS: &[&str] = &[
    "天钥桥路",
    "建国西路",
    "嘉善路",
    "永嘉路",
    "肇嘉浜路",
    "襄阳南路",
];

/// Deterministic pseudo-random numbers (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A credential-like string: `NAC1:` + `len` random Base45 characters.
pub fn credential_text(rng: &mut Rng, len: usize) -> String {
    let mut s = String::with_capacity(len + 5);
    s.push_str("NAC1:");
    for _ in 0..len {
        s.push(BASE45[rng.below(BASE45.len())] as char);
    }
    s
}

/// `n` cards with common names, 1–4 people per household, ~230-character credentials.
pub fn cards(n: usize, seed: u64) -> Vec<Card> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    let mut household = 0;
    let mut left_in_household = 0;
    for i in 0..n {
        if left_in_household == 0 {
            household += 1;
            left_in_household = 1 + rng.below(4);
        }
        left_in_household -= 1;
        let name = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
        let lane = 1 + household % 300;
        let address = format!(
            "徐汇区 {} {}弄 {}号 {}室",
            rng.pick(STREETS),
            lane,
            1 + household % 30,
            101 + household % 6 * 100
        );
        let serial = format!(
            "{}-{}",
            &credential_text(&mut rng, 5)[5..]
                .replace([' ', '$', '%', '*', '+', '-', '.', '/', ':'], "Q"),
            &credential_text(&mut rng, 5)[5..]
                .replace([' ', '$', '%', '*', '+', '-', '.', '/', ':'], "X"),
        );
        let qr_len = 225 + rng.below(11);
        out.push(Card {
            name,
            qr_text: credential_text(&mut rng, qr_len),
            expires_at: format!(
                "2026-12-{:02} {:02}:{:02}",
                1 + i % 28,
                8 + i % 10,
                (i * 7) % 60
            ),
            masked_id: format!(
                "310***********{:03}{}",
                i % 1000,
                if i % 3 == 0 { 'X' } else { '7' }
            ),
            id_label: String::new(),
            address,
            station_name: "天平街道社区服务站".into(),
            serial,
            household: format!("H{household:05}"),
            demo: false,
        });
    }
    out
}
