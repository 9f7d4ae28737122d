use burn::nn::LinearConfig;
use burn::tensor::{Device, Distribution, Tensor};

use super::*;

fn bits<const D: usize>(t: Tensor<D>) -> Vec<u32> {
    let values = t.into_data().try_to_vec::<f32>().unwrap();
    values.iter().map(|v| v.to_bits()).collect()
}

/// Output, then the gradients of input, weight and bias of `sum(forward(x) * c)`.
fn pass(
    layer: &Linear,
    x: &Tensor<2>,
    c: &Tensor<2>,
    forward: impl Fn(&Linear, Tensor<2>) -> Tensor<2>,
) -> [Vec<u32>; 4] {
    let x = x.clone().require_grad();
    let y = forward(layer, x.clone());
    let grads = (y.clone() * c.clone()).sum().backward();
    let grad = |t: &Tensor<2>| bits(t.grad(&grads).unwrap());
    let weight = layer.weight.val();
    let bias = layer.bias.as_ref().unwrap().val();
    [
        bits(y),
        grad(&x),
        bits(weight.grad(&grads).unwrap()),
        bits(bias.grad(&grads).unwrap()),
    ]
}

fn compare(device: &Device, [rows, d_input, d_output]: [usize; 3]) {
    let layer = LinearConfig::new(d_input, d_output).init(device);
    let normal = Distribution::Normal(0.0, 1.0);
    let x = Tensor::<2>::random([rows, d_input], normal, device);
    let c = Tensor::<2>::random([rows, d_output], normal, device);
    let burn = pass(&layer, &x, &c, |l, x| l.forward(x));
    let fused = pass(&layer, &x, &c, |l, x| {
        linear(l, x).expect("applies on Flex")
    });
    let names = [
        "output",
        "input gradient",
        "weight gradient",
        "bias gradient",
    ];
    for ((name, a), b) in names.iter().zip(&fused).zip(&burn) {
        assert!(
            a == b,
            "{name} differs from Burn's for {rows}x{d_input}x{d_output}"
        );
        assert!(a.iter().any(|v| *v != 0), "{name} is all zeros");
    }
}

#[test]
fn gives_burns_bits_forward_and_backward() {
    let device = crate::device::default_device().autodiff();
    // The ConvVae's three layers at batch 64, odd sizes, and products past Flex's threading
    // threshold (192^3 multiply-adds), where gemm runs on rayon's threads.
    for sizes in [
        [64, 4096, 16],
        [64, 16, 4096],
        [7, 33, 5],
        [1, 3, 1],
        [256, 5120, 16],
        [256, 16, 5120],
    ] {
        compare(&device, sizes);
    }
}

#[test]
fn gives_burns_bits_without_autodiff() {
    let device = crate::device::default_device();
    let layer = LinearConfig::new(40, 9).init(&device);
    let x = Tensor::<2>::random([13, 40], Distribution::Normal(0.0, 1.0), &device);
    let fused = linear(&layer, x.clone()).expect("applies on Flex");
    assert_eq!(bits(fused), bits(layer.forward(x)));
}

#[test]
fn gives_the_input_back_where_it_does_not_apply() {
    let device = crate::device::default_device();
    let no_bias = LinearConfig::new(4, 3).with_bias(false).init(&device);
    let x = Tensor::<2>::ones([2, 4], &device);
    assert!(linear(&no_bias, x.clone()).is_err());
    let wrong = LinearConfig::new(5, 3).init(&device);
    assert_eq!(linear(&wrong, x).unwrap_err().dims(), [2, 4]);
}
