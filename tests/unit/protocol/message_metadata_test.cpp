#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "protocol/message_metadata.hpp"

namespace hubcast::protocol {
namespace {

TEST(MessageMetadata, TokenKeysAndPrintableValuesAreValid) {
    EXPECT_EQ(metadata_error({}), "");
    EXPECT_EQ(metadata_error({{"trace-id", "abc 123"}, {"X_Y.z~!#$%&'*+^`|", ""}}), "");
    EXPECT_EQ(metadata_error(
                  {{std::string(max_metadata_key_bytes, 'k'), std::string(max_metadata_value_bytes, 'v')}}),
              "");
}

TEST(MessageMetadata, RefusesKeysThatCannotBeHeaderNames) {
    const std::vector<std::string> keys{"",     "a b",         "a:b",
                                        "a\"b", "caf\xc3\xa9", std::string(max_metadata_key_bytes + 1, 'k')};
    for (const auto& key : keys) {
        EXPECT_NE(metadata_error({{key, "v"}}), "") << key;
    }
}

TEST(MessageMetadata, RefusesValuesThatAreNotPrintableAscii) {
    const std::vector<std::string> values{"a\nb", "tab\t", "caf\xc3\xa9",
                                          std::string(max_metadata_value_bytes + 1, 'v')};
    for (const auto& value : values) {
        EXPECT_NE(metadata_error({{"k", value}}), "") << value;
    }
}

TEST(MessageMetadata, RefusesAKeyTwiceWhateverItsCase) {
    EXPECT_EQ(metadata_error({{"Trace", "1"}, {"trace", "2"}}), "a metadata key appears twice");
}

TEST(MessageMetadata, IsAtMost8KiBInAll) {
    message_metadata metadata;
    for (const char* key : {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}) {
        metadata.emplace_back(key, std::string(1000, 'v'));
    }
    EXPECT_EQ(metadata_error(metadata), "") << "8 * (2 + 1000) bytes";
    metadata.emplace_back("k8", std::string(200, 'v'));
    EXPECT_EQ(metadata_error(metadata), "the metadata is larger than 8 KiB");
}

} // namespace
} // namespace hubcast::protocol
