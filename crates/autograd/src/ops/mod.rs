//! Differentiable operations. Each op computes its value with the `tensor`
//! crate and, in the same place, states its backward rule through
//! [`Tensor::from_op`](crate::Tensor::from_op).

mod elementwise;
mod index;
mod inplace;
mod matmul;
mod reduce;
mod shape;

/// Generates the panicking form of `try_` methods.
macro_rules! panicking {
    ($( $name:ident => $try_name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        impl crate::Tensor {
            $(
                #[doc = concat!("Panicking form of [`", stringify!($try_name), "`](crate::Tensor::", stringify!($try_name), ").")]
                ///
                /// # Panics
                #[doc = concat!("Where [`", stringify!($try_name), "`](crate::Tensor::", stringify!($try_name), ") returns an error, with its message.")]
                #[track_caller]
                pub fn $name(&self, $($arg: $ty),*) -> $ret {
                    crate::error::or_panic(self.$try_name($($arg),*))
                }
            )*
        }
    };
}
pub(crate) use panicking;
