use nac_credential::*;
fn hex(b: &[u8]) -> String { b.iter().map(|x| format!("{x:02x}")).collect() }
fn main() {
    let vectors: Vec<(&str, [u8; 32], Claims)> = vec![
        ("basic", core::array::from_fn(|i| i as u8), Claims {
            serial: "7K3QD9XAZM".into(), resident_ref: "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd".into(),
            masked_name: "张*丰".into(), id_last4: "123X".into(), issued_at: 1_767_225_600, expires_at: 1_769_817_600, station_id: "ST-4KQ2PZ".into() }),
        ("cjk-ext-b", core::array::from_fn(|i| 0xff - i as u8), Claims {
            serial: "0ABCDEFGHJ".into(), resident_ref: "R-000017".into(),
            masked_name: "𠮷*".into(), id_last4: "0042".into(), issued_at: 1_772_323_200, expires_at: 1_774_915_200, station_id: "ST-8XW3MN".into() }),
        ("middle-dot", core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11)), Claims {
            serial: "VT9M2KQ4RX".into(), resident_ref: "0b8e5a71-94c2-4d3f-a6e0-5f1c2d7b9e48".into(),
            masked_name: "阿*·*提".into(), id_last4: "701X".into(), issued_at: 1_780_000_000, expires_at: 1_782_592_000, station_id: "ST-4KQ2PZ".into() }),
        ("minimal", [0x42; 32], Claims {
            serial: "A".into(), resident_ref: "r".into(),
            masked_name: "*".into(), id_last4: "".into(), issued_at: 0, expires_at: 1, station_id: "S".into() }),
    ];
    for (name, secret, c) in vectors {
        let key = StationKey::from_secret_bytes(&secret);
        let text = issue(&c, &key).unwrap();
        println!("```nac1-vector\nname: {name}\nsecret_key: {}\npublic_key: {}\nkid: {}\nserial: {}\nresident_ref: {}\nmasked_name: {}\nid_last4: {}\nissued_at: {}\nexpires_at: {}\nstation_id: {}\ncose: {}\ntext: {}\n```\n({} characters)\n",
            hex(&secret), key.public_key(), key.kid(), c.serial, c.resident_ref, c.masked_name, c.id_last4, c.issued_at, c.expires_at, c.station_id, hex(&decode_cose(&text).unwrap()), text, text.len());
    }
}
