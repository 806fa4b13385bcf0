#pragma once

// The JSON subprotocols (json.webpubsub.azure.v1 and its reliable variant), one header for the
// whole family: decoding requests, encoding messages, the reliable sequence prefix, and the JSON
// text helpers they share. Each part has a header of its own.

#include "protocol/json_checker.hpp"
#include "protocol/json_messages.hpp"
#include "protocol/json_request.hpp"
#include "protocol/json_sequence.hpp"
#include "protocol/json_text.hpp"
