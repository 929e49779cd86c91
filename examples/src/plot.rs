//! The examples' pictures, drawn with `plotters` as SVG: the tutorial's data
//! with its fitted line and loss per epoch, and the book's animator curves
//! (loss and accuracies per epoch) for the classifiers.

use plotters::prelude::*;

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// `lo..hi` padded by 5% (and never empty).
fn padded(values: impl Iterator<Item = f64> + Clone) -> std::ops::Range<f64> {
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.05).max(1e-6);
    (lo - pad)..(hi + pad)
}

/// An SVG with two panels: the points `(xs, ys)` with the line
/// `y = slope · x + intercept`, and `losses` per epoch on a log scale.
///
/// # Errors
/// If plotters fails to draw.
pub fn fit_and_loss_svg(
    xs: &[f32],
    ys: &[f32],
    slope: f32,
    intercept: f32,
    losses: &[f32],
) -> Result<String, Box<dyn std::error::Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 380)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(450);
        let x_range = padded(xs.iter().map(|&x| f64::from(x)));
        let y_range = padded(ys.iter().map(|&y| f64::from(y)));
        let mut data = ChartBuilder::on(&left)
            .caption("data and fitted line", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(x_range.clone(), y_range)?;
        data.configure_mesh()
            .x_desc("features[:, 1]")
            .y_desc("labels")
            .draw()?;
        data.draw_series(
            xs.iter().zip(ys).map(|(&x, &y)| {
                Circle::new((f64::from(x), f64::from(y)), 2, BLUE.mix(0.6).filled())
            }),
        )?;
        let line = |x: f64| f64::from(slope) * x + f64::from(intercept);
        data.draw_series(LineSeries::new(
            [x_range.start, x_range.end].map(|x| (x, line(x))),
            RED.stroke_width(2),
        ))?;
        let log_losses: Vec<f64> = losses
            .iter()
            .map(|l| f64::from(l.max(f32::MIN_POSITIVE)).log10())
            .collect();
        let epochs = padded((1..=losses.len()).map(|e| e as f64));
        let mut curve = ChartBuilder::on(&right)
            .caption("training loss", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(epochs, padded(log_losses.iter().copied()))?;
        curve
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("log10(loss)")
            .draw()?;
        let points: Vec<(f64, f64)> = log_losses
            .iter()
            .enumerate()
            .map(|(i, &l)| ((i + 1) as f64, l))
            .collect();
        curve.draw_series(LineSeries::new(points.clone(), GREEN.stroke_width(2)))?;
        curve.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, GREEN.filled())),
        )?;
        root.present()?;
    }
    Ok(svg)
}

/// An SVG of named curves over epochs 1, 2, … (the book's animator: train
/// loss, train and test accuracy).
///
/// # Errors
/// If plotters fails to draw.
pub fn epoch_curves_svg(curves: &[(&str, &[f64])]) -> Result<String, Box<dyn std::error::Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let epochs = curves
            .iter()
            .map(|(_, v)| v.len())
            .max()
            .unwrap_or(1)
            .max(2) as f64;
        let top = curves
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d(1.0..epochs, 0.0..top)?;
        chart.configure_mesh().x_desc("epoch").draw()?;
        let colors = [BLUE, MAGENTA, GREEN, RED, BLACK];
        for (i, (label, values)) in curves.iter().enumerate() {
            let color = colors[i % colors.len()];
            let points = values.iter().enumerate().map(|(e, &v)| ((e + 1) as f64, v));
            chart
                .draw_series(LineSeries::new(points, color))?
                .label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
        chart.configure_series_labels().border_style(BLACK).draw()?;
        root.present()?;
    }
    Ok(svg)
}

/// Writes `svg` to `path`, with the message the binaries print on failure.
///
/// # Errors
/// If the file cannot be written, naming it.
pub fn write(path: &std::path::Path, svg: &str) -> Drawn {
    std::fs::write(path, svg)
        .map_err(|e| format!("--plot: cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
