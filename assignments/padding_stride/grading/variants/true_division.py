# variant: true division `/` instead of floor division `//` in output_size, so it returns a float (e.g. 3.5 + 1 positions)
# targets: output_size_lecture_examples, output_size_int_padding, output_size_valid_and_same
# %% output_size_impl
import math


def output_size(n, k, padding="valid", stride=1):
    if padding == "same":
        return math.ceil(n / stride)
    p = 0 if padding == "valid" else padding
    return (n + 2 * p - k) / stride + 1
