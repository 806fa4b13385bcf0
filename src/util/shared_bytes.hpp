#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace hubcast::util {

/// Immutable, reference-counted bytes. One encoded frame is shared by every recipient of a send
/// (design section 4): copying a shared_bytes copies a pointer, never the payload.
using shared_bytes = std::shared_ptr<const std::string>;

inline shared_bytes make_shared_bytes(std::string bytes) {
    return std::make_shared<const std::string>(std::move(bytes));
}

} // namespace hubcast::util
