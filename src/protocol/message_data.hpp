#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/message_metadata.hpp"

namespace hubcast::protocol {

/// The kind of a message payload, as JSON clients name it in `dataType`.
enum class data_type : std::uint8_t { json, text, binary, protobuf };

/// Lowercase wire name ("json", "text", "binary", "protobuf"): clients compare case-sensitively.
std::string_view to_string(data_type type) noexcept;

/// Parses a `dataType` value case-insensitively (the .NET client sends "Text", "Json", ...).
std::optional<data_type> parse_data_type(std::string_view name) noexcept;

/// A payload in its canonical form, independent of any subprotocol:
/// - json: the raw JSON text of the value (never `null`);
/// - text: UTF-8 bytes;
/// - binary / protobuf: the raw (decoded) bytes.
struct message_data {
    data_type type = data_type::text;
    std::string bytes;
    /// Travels with the payload to PubSub recipients (JSON `metadata`, protobuf
    /// DataMessage.metadata); simple clients get the payload alone. Valid (metadata_error) when set.
    message_metadata metadata;
};

} // namespace hubcast::protocol
