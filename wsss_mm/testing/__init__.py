"""Reference implementations that tests and benchmarks compare wsss_mm against,
written from the authors' algorithms without wsss_mm's own code; the library
itself does not use them."""
