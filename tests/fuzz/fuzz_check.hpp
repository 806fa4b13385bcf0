#pragma once

#include <cstdio>
#include <cstdlib>

/// An invariant of a fuzz target: when it does not hold, say which and abort, so that libFuzzer
/// keeps the input that broke it. Active in every build (unlike assert).
#define FUZZ_CHECK(cond)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            std::fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);               \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (false)
