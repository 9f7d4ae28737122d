//! Choosing where the models run, at run time.
//!
//! Burn 0.22 modules hold `Tensor<D>` with no backend type parameter: a [`Device`] picks the
//! backend. [`DeviceChoice`] names one of the backends this build was compiled with, parses
//! from the strings the examples take on `--device`, and gives its [`Device`].
//!
//! Why not `Device::default()`: Burn's default prefers a GPU backend whenever one is compiled
//! in, so enabling the `wgpu` feature would silently move every CPU computation to the GPU (or
//! to a software Vulkan driver). This crate's default is the CPU: [`default_device`].

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A backend and, for wgpu and CUDA, which device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// Burn's pure-Rust CPU backend (feature `flex`, the default).
    #[default]
    Flex,
    /// Burn's older CPU backend (feature `ndarray`): for compatibility, not speed.
    NdArray,
    /// A GPU through wgpu: Vulkan, Metal or DX12 (feature `wgpu`).
    Wgpu(WgpuAdapter),
    /// The n-th NVIDIA GPU through CUDA (feature `cuda`); `cuda` alone is `cuda:0`.
    Cuda(usize),
}

/// Which wgpu adapter to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WgpuAdapter {
    /// wgpu's own pick: a high-power GPU first (`CUBECL_WGPU_DEFAULT_DEVICE` overrides it).
    #[default]
    Default,
    /// The n-th discrete GPU.
    Discrete(usize),
    /// The n-th integrated GPU.
    Integrated(usize),
    /// A CPU adapter, such as Mesa's llvmpipe (software Vulkan).
    Cpu,
}

impl DeviceChoice {
    /// Every choice this build can open, as `--device` spells it.
    pub fn compiled() -> Vec<&'static str> {
        let mut names = Vec::new();
        if cfg!(feature = "flex") {
            names.push("flex");
        }
        if cfg!(feature = "ndarray") {
            names.push("ndarray");
        }
        if cfg!(feature = "wgpu") {
            names.extend(["wgpu", "wgpu:cpu", "wgpu:discrete:N", "wgpu:integrated:N"]);
        }
        if cfg!(feature = "cuda") {
            names.extend(["cuda", "cuda:N"]);
        }
        names
    }

    /// The Burn device for this choice; an error when its feature was not compiled in.
    /// Opening a wgpu adapter or a CUDA device is lazy: a missing driver shows at the first
    /// tensor operation.
    pub fn device(self) -> Result<Device> {
        match self {
            #[cfg(feature = "flex")]
            DeviceChoice::Flex => Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            // Burn deprecates ndarray in favour of flex; kept as an option.
            DeviceChoice::NdArray => Ok(Device::ndarray()),
            #[cfg(feature = "wgpu")]
            DeviceChoice::Wgpu(adapter) => {
                use burn::tensor::DeviceKind;
                Ok(Device::wgpu(match adapter {
                    WgpuAdapter::Default => DeviceKind::DefaultDevice,
                    WgpuAdapter::Discrete(i) => DeviceKind::DiscreteGpu(i),
                    WgpuAdapter::Integrated(i) => DeviceKind::IntegratedGpu(i),
                    WgpuAdapter::Cpu => DeviceKind::Cpu,
                }))
            }
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda(index) => Ok(Device::cuda(index)),
            #[allow(unreachable_patterns)]
            other => Err(Error::invalid(
                "device",
                format!(
                    "{other} is not compiled into this build (enable the cargo feature `{}`); \
                     available: {}",
                    other.feature(),
                    Self::compiled().join(", ")
                ),
            )),
        }
    }

    /// The cargo feature that compiles this backend in.
    pub fn feature(self) -> &'static str {
        match self {
            DeviceChoice::Flex => "flex",
            DeviceChoice::NdArray => "ndarray",
            DeviceChoice::Wgpu(_) => "wgpu",
            DeviceChoice::Cuda(_) => "cuda",
        }
    }
}

/// The crate's default device: the CPU, `flex` where compiled in, else `ndarray`, else the
/// default wgpu adapter, else the first CUDA GPU.
pub fn default_device() -> Device {
    #[cfg(feature = "flex")]
    return Device::flex();
    #[cfg(all(not(feature = "flex"), feature = "ndarray"))]
    #[allow(deprecated)]
    return Device::ndarray();
    #[cfg(all(not(feature = "flex"), not(feature = "ndarray"), feature = "wgpu"))]
    return Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
    #[cfg(all(
        not(feature = "flex"),
        not(feature = "ndarray"),
        not(feature = "wgpu"),
        feature = "cuda"
    ))]
    return Device::cuda(0);
    #[cfg(not(any(
        feature = "flex",
        feature = "ndarray",
        feature = "wgpu",
        feature = "cuda"
    )))]
    compile_error!("ecg-anomaly needs a backend: enable `flex`, `ndarray`, `wgpu` or `cuda`");
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Flex => f.write_str("flex"),
            DeviceChoice::NdArray => f.write_str("ndarray"),
            DeviceChoice::Wgpu(WgpuAdapter::Default) => f.write_str("wgpu"),
            DeviceChoice::Wgpu(WgpuAdapter::Cpu) => f.write_str("wgpu:cpu"),
            DeviceChoice::Wgpu(WgpuAdapter::Discrete(i)) => write!(f, "wgpu:discrete:{i}"),
            DeviceChoice::Wgpu(WgpuAdapter::Integrated(i)) => write!(f, "wgpu:integrated:{i}"),
            DeviceChoice::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = Error;

    /// Parses `flex` (or `cpu`), `ndarray`, `wgpu`, `wgpu:cpu`, `wgpu:discrete:N`,
    /// `wgpu:integrated:N`, `cuda` (the same as `cuda:0`) and `cuda:N`, ignoring case and
    /// surrounding spaces. Parsing does not check that
    /// the backend is compiled in; [`DeviceChoice::device`] does.
    fn from_str(text: &str) -> Result<Self> {
        let lower = text.trim().to_ascii_lowercase();
        let parts: Vec<&str> = lower.split(':').collect();
        let index = |s: &str| {
            s.parse::<usize>().map_err(|_| {
                Error::invalid(
                    "device",
                    format!("`{s}` in `{text}` is not an adapter index"),
                )
            })
        };
        Ok(match parts.as_slice() {
            ["flex"] | ["cpu"] => DeviceChoice::Flex,
            ["ndarray"] => DeviceChoice::NdArray,
            ["wgpu"] | ["gpu"] => DeviceChoice::Wgpu(WgpuAdapter::Default),
            ["wgpu", "cpu"] => DeviceChoice::Wgpu(WgpuAdapter::Cpu),
            ["wgpu", "discrete", i] => DeviceChoice::Wgpu(WgpuAdapter::Discrete(index(i)?)),
            ["wgpu", "integrated", i] => DeviceChoice::Wgpu(WgpuAdapter::Integrated(index(i)?)),
            ["cuda"] => DeviceChoice::Cuda(0),
            ["cuda", i] => DeviceChoice::Cuda(index(i)?),
            _ => {
                return Err(Error::invalid(
                    "device",
                    format!(
                        "unknown device `{text}`; expected flex, ndarray, wgpu, wgpu:cpu, \
                         wgpu:discrete:N, wgpu:integrated:N, cuda or cuda:N"
                    ),
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips_through_display() {
        for text in [
            "flex",
            "ndarray",
            "wgpu",
            "wgpu:cpu",
            "wgpu:discrete:1",
            "wgpu:integrated:0",
            "cuda:1",
        ] {
            let choice: DeviceChoice = text.parse().unwrap();
            assert_eq!(choice.to_string(), text);
        }
        assert_eq!(" CPU ".parse::<DeviceChoice>().unwrap(), DeviceChoice::Flex);
        assert_eq!(
            "CUDA".parse::<DeviceChoice>().unwrap(),
            DeviceChoice::Cuda(0)
        );
    }

    #[test]
    fn bad_spellings_are_errors_that_name_the_input() {
        for text in [
            "",
            "wgpu:discrete",
            "wgpu:discrete:x",
            "flex:0",
            "cuda:x",
            "cuda:0:1",
        ] {
            let err = text.parse::<DeviceChoice>().unwrap_err().to_string();
            assert!(err.contains("device"), "{err}");
        }
        let err = "wgpu:integrated:x".parse::<DeviceChoice>().unwrap_err();
        assert!(err.to_string().contains("`x`"), "{err}");
    }

    #[test]
    fn a_backend_left_out_of_the_build_is_an_error_not_a_panic() {
        for choice in [
            DeviceChoice::Flex,
            DeviceChoice::NdArray,
            DeviceChoice::Wgpu(WgpuAdapter::Default),
            DeviceChoice::Cuda(0),
        ] {
            let compiled = DeviceChoice::compiled().contains(&choice.feature());
            match choice.device() {
                Ok(_) => assert!(compiled, "{choice} opened without its feature"),
                Err(e) => {
                    assert!(!compiled, "{choice}: {e}");
                    assert!(e.to_string().contains(choice.feature()), "{e}");
                }
            }
        }
    }

    #[cfg(feature = "flex")]
    #[test]
    fn the_default_device_is_the_cpu_even_with_a_gpu_backend_compiled_in() {
        assert_eq!(default_device(), Device::flex());
    }
}
