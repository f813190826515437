//! Render every layout with a few demo cards (rare-character names included) into
//! a directory: `cargo run -p nac-print --example sample -- /tmp/nac-sample`.

use std::ops::ControlFlow;
use std::path::PathBuf;

use nac_print::{render_to_path, sample, Fonts, Layout};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "nac-sample".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let fonts = Fonts::system()?;
    let mut cards = sample::cards(9, 7);
    cards[0].name = "李𠮷".into();
    cards[1].name = "阿依古丽·买买提".into();
    cards[2].name = "𡈼小明".into();
    cards[4].name = "王𪚥".into(); // only in HanaMin A
    cards[5].name = "𠀁小明".into(); // only in HanaMin B
    cards[6].name = "阿卜杜热合曼·阿卜杜克热木".into();
    cards[3].address =
        "徐汇区 天钥桥路 100弄 5号 302室 （近南丹东路，小区东门进入后左转第二栋）".into();
    for layout in Layout::ALL {
        let path = dir.join(format!("{layout}.pdf"));
        let stats = render_to_path(layout, &cards, &fonts, &path, &mut |_| {
            ControlFlow::Continue(())
        })?;
        println!(
            "{}: {} pages, {} bytes, fonts {:?}",
            path.display(),
            stats.pages,
            stats.bytes,
            stats.fonts
        );
    }
    Ok(())
}
