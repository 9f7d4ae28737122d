//! Row kernels compiled for several x86-64 instruction sets, the widest the CPU has picked at
//! run time: the crate is built for baseline x86-64 (SSE2), where loops vectorise four lanes
//! wide, while the project's machines have AVX2 and often AVX-512.
//!
//! Every variant runs the same Rust body: Rust never contracts `a * b + c` into a fused
//! multiply-add (an explicit `mul_add` is one instruction with FMA and a correctly rounded libm
//! call without), and the bodies fix their own summation order (explicit lanes), so each
//! variant gives the same bits.

/// Defines `pub fn $name(args) [-> ret]` running `$body` compiled for AVX-512, for AVX2 + FMA,
/// or plain, whichever the CPU supports (checked per call: a cached load). `$body` must be
/// `#[inline(always)]`, and so must everything it calls, or the callee stays plain code.
macro_rules! dispatch {
    (
        $(#[$doc:meta])* $name:ident, $body:ident, $avx2:ident, $avx512:ident,
        ($($arg:ident: $ty:ty),*) $(-> $ret:ty)?
    ) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has just been checked for the feature.
                    return unsafe { $avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has just been checked for both features.
                    return unsafe { $avx2($($arg),*) };
                }
            }
            $body($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        fn $avx2($($arg: $ty),*) $(-> $ret)? {
            $body($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        #[allow(clippy::too_many_arguments)]
        fn $avx512($($arg: $ty),*) $(-> $ret)? {
            $body($($arg),*)
        }
    };
}

pub(crate) use dispatch;
