//! A small SVG writer for the tutorial's pictures: the data with the fitted
//! line, and the loss per epoch. Pure Rust, no system libraries.

use std::fmt::Write as _;

const WIDTH: f32 = 900.0;
const HEIGHT: f32 = 380.0;
const PANEL: f32 = 400.0;
const MARGIN: f32 = 50.0;

/// Maps data coordinates into one panel's pixel box.
struct Axes {
    left: f32,
    x_range: (f32, f32),
    y_range: (f32, f32),
}

impl Axes {
    fn new(left: f32, xs: &[f32], ys: &[f32]) -> Axes {
        let range = |v: &[f32]| {
            let lo = v.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let pad = ((hi - lo) * 0.05).max(1e-6);
            (lo - pad, hi + pad)
        };
        Axes {
            left,
            x_range: range(xs),
            y_range: range(ys),
        }
    }

    fn px(&self, x: f32) -> f32 {
        self.left
            + MARGIN
            + (x - self.x_range.0) / (self.x_range.1 - self.x_range.0) * (PANEL - MARGIN)
    }

    fn py(&self, y: f32) -> f32 {
        HEIGHT
            - MARGIN
            - (y - self.y_range.0) / (self.y_range.1 - self.y_range.0) * (HEIGHT - 2.0 * MARGIN)
    }

    /// Frame, tick labels at both ends of each axis, and axis titles.
    fn frame(&self, svg: &mut String, title: &str, x_label: &str, y_label: &str) {
        let (x0, x1) = (self.left + MARGIN, self.left + PANEL);
        let (y0, y1) = (HEIGHT - MARGIN, MARGIN);
        let _ = write!(
            svg,
            r##"<rect x="{x0}" y="{y1}" width="{}" height="{}" fill="none" stroke="#444"/>
<text x="{}" y="{}" text-anchor="middle" font-size="15">{title}</text>
<text x="{}" y="{}" text-anchor="middle" font-size="13">{x_label}</text>
<text x="{}" y="{}" text-anchor="middle" font-size="13" transform="rotate(-90 {} {})">{y_label}</text>
<text x="{x0}" y="{}" font-size="11" text-anchor="middle">{:.2}</text>
<text x="{x1}" y="{}" font-size="11" text-anchor="middle">{:.2}</text>
<text x="{}" y="{y0}" font-size="11" text-anchor="end">{:.3}</text>
<text x="{}" y="{}" font-size="11" text-anchor="end">{:.3}</text>
"##,
            x1 - x0,
            y0 - y1,
            (x0 + x1) / 2.0,
            y1 - 12.0,
            (x0 + x1) / 2.0,
            y0 + 35.0,
            x0 - 38.0,
            (y0 + y1) / 2.0,
            x0 - 38.0,
            (y0 + y1) / 2.0,
            y0 + 15.0,
            self.x_range.0,
            y0 + 15.0,
            self.x_range.1,
            x0 - 4.0,
            self.y_range.0,
            x0 - 4.0,
            y1 + 10.0,
            self.y_range.1,
        );
    }
}

/// Writes an SVG with two panels: the points `(xs, ys)` with the line
/// `y = slope · x + intercept`, and `losses` per epoch on a log scale.
pub fn fit_and_loss_svg(
    xs: &[f32],
    ys: &[f32],
    slope: f32,
    intercept: f32,
    losses: &[f32],
) -> String {
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
"#
    );
    let data = Axes::new(0.0, xs, ys);
    data.frame(&mut svg, "data and fitted line", "features[:, 1]", "labels");
    for (&x, &y) in xs.iter().zip(ys) {
        let _ = writeln!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="1.6" fill="#1f77b4" fill-opacity="0.6"/>"##,
            data.px(x),
            data.py(y)
        );
    }
    let (xa, xb) = data.x_range;
    let _ = writeln!(
        svg,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#d62728" stroke-width="2"/>"##,
        data.px(xa),
        data.py(slope * xa + intercept)
            .clamp(MARGIN, HEIGHT - MARGIN),
        data.px(xb),
        data.py(slope * xb + intercept)
            .clamp(MARGIN, HEIGHT - MARGIN),
    );

    let epochs: Vec<f32> = (1..=losses.len()).map(|e| e as f32).collect();
    let log_losses: Vec<f32> = losses
        .iter()
        .map(|l| l.max(f32::MIN_POSITIVE).log10())
        .collect();
    let curve = Axes::new(PANEL + 50.0, &epochs, &log_losses);
    curve.frame(&mut svg, "training loss", "epoch", "log10(loss)");
    let points: Vec<String> = epochs
        .iter()
        .zip(&log_losses)
        .map(|(&e, &l)| format!("{:.1},{:.1}", curve.px(e), curve.py(l)))
        .collect();
    let _ = writeln!(
        svg,
        r##"<polyline points="{}" fill="none" stroke="#2ca02c" stroke-width="2"/>"##,
        points.join(" ")
    );
    for p in &points {
        let (x, y) = p.split_once(',').expect("x,y");
        let _ = writeln!(
            svg,
            r##"<circle cx="{x}" cy="{y}" r="3.5" fill="#2ca02c"/>"##
        );
    }
    svg.push_str("</svg>\n");
    svg
}
