use std::time::Instant;
fn main() {
    let a = tensor::Tensor::randn(&[784, 256]).t();
    let b = tensor::Tensor::randn(&[784, 256]);
    for _ in 0..12 {
        let t = Instant::now();
        let c = a.contiguous();
        let t1 = t.elapsed();
        let t = Instant::now();
        let d = c.matmul(&b);
        let t2 = t.elapsed();
        let t = Instant::now();
        let e = a.matmul(&b);
        let t3 = t.elapsed();
        println!("contiguous {:?} matmul(contig) {:?} matmul(transposed) {:?} {}", t1, t2, t3, d.numel() + e.numel());
    }
}
