#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hubcast::bench {

/// Log-linear latency histogram in nanoseconds: 32 sub-buckets per power of two, so any reported
/// value is within about 3 % of the true one. Constant-time record, no allocation after
/// construction; mergeable across loadgen threads.
class latency_histogram {
public:
    static constexpr int sub_bits = 5;
    static constexpr std::uint64_t sub_count = 1u << sub_bits;
    static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * sub_count;

    latency_histogram() : counts_(bucket_count, 0) {}

    void record(std::int64_t nanoseconds) {
        const auto v = nanoseconds < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(nanoseconds);
        ++counts_[index_of(v)];
        ++total_;
        if (v > max_) {
            max_ = v;
        }
    }

    void merge(const latency_histogram& other) {
        for (std::size_t i = 0; i < bucket_count; ++i) {
            counts_[i] += other.counts_[i];
        }
        total_ += other.total_;
        max_ = other.max_ > max_ ? other.max_ : max_;
    }

    std::uint64_t count() const noexcept { return total_; }
    std::uint64_t max() const noexcept { return max_; }

    /// The value (ns) at quantile q in [0, 1]: the midpoint of the bucket holding it.
    std::uint64_t quantile(double q) const {
        if (total_ == 0) {
            return 0;
        }
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_));
        if (rank >= total_) {
            rank = total_ - 1;
        }
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += counts_[i];
            if (seen > rank) {
                const std::uint64_t mid = midpoint_of(i);
                return mid > max_ ? max_ : mid;
            }
        }
        return max_;
    }

private:
    static std::size_t index_of(std::uint64_t v) {
        if (v < sub_count) {
            return static_cast<std::size_t>(v);
        }
        const int msb = 63 - std::countl_zero(v);
        const int shift = msb - sub_bits;
        return static_cast<std::size_t>(shift + 1) * sub_count + ((v >> shift) & (sub_count - 1));
    }
    static std::uint64_t midpoint_of(std::size_t index) {
        if (index < sub_count) {
            return index;
        }
        const std::size_t shift = index / sub_count - 1;
        const std::uint64_t low = (sub_count + index % sub_count) << shift;
        return low + ((std::uint64_t{1} << shift) >> 1);
    }

    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

} // namespace hubcast::bench
