#!/bin/sh
# Install the Debian packages mine-report needs when they are missing.
# As root it installs them; otherwise it prints the apt command to run. Quiet when all present.
# Usage: scripts/debian-deps.sh PACKAGE...
missing=""
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Debian パッケージを導入します:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null \
        || { echo "apt-get install に失敗しました:$missing" >&2; exit 1; }
else
    echo "次の Debian パッケージが必要です。管理者権限で実行してください:" >&2
    echo "  sudo apt-get install$missing" >&2
fi
