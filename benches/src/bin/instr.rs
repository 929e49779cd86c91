use std::hint::black_box;
fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let n: usize = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(0);
    let (features, labels) = benches::tutorial_data();
    let raw = tensor::Tensor::ones(&[3, 2]);
    let x = autograd::Tensor::ones(&[3, 2]);
    let xr = autograd::Tensor::ones(&[3, 2]).requires_grad_(true);
    let mut chain = benches::chain_100();
    let mut scratch = benches::scratch_training(&features, &labels);
    for _ in 0..n {
        match mode.as_str() {
            "raw" => {
                black_box(black_box(&raw) * 1.0001f32);
            }
            "unrec" => {
                black_box(black_box(&x) * 1.0001f32);
            }
            "rec" => {
                black_box(black_box(&xr) * 1.0001f32);
            }
            "chain" => chain(),
            _ => scratch(),
        }
    }
}
