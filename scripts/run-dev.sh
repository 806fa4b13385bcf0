#!/usr/bin/env bash
# Starts hubcast for development: in memory, on LISTEN, with a development access key, and prints
# the connection string and a ready client URL for the hub "chat".
set -euo pipefail
binary=$1 listen=$2 key=$3
host=${listen%:*}
port=${listen##*:}
endpoint="http://${host}:${port}"
echo "Connection string: Endpoint=http://${host};Port=${port};AccessKey=${key};Version=1.0;"
echo "Client URL (hub chat, user alice, may join and publish to any group, valid 60 minutes):"
echo "  $("$binary" token --endpoint "$endpoint" --access-key "$key" --hub chat --user alice \
    --role webpubsub.joinLeaveGroup --role webpubsub.sendToGroup --minutes 60)"
echo
exec "$binary" --listen "$listen" --access-key "$key"
