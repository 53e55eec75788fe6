#!/bin/bash
# Sets up twittix-1, the pre-production Docker Swarm host, on a fresh Debian (12 or later).
# Idempotent: run it again after changing this directory; it converges, it does not duplicate.
#
#   sudo ./setup.sh [--deploy-key FILE] [--ssh-port PORT] [--advertise-addr ADDR]
#
#   --deploy-key FILE     the CI's public key (deploy-swarm's ssh_key secret is its private half);
#                         replaces ~deploy/.ssh/authorized_keys
#   --ssh-port PORT       the port sshd listens on, the only one the firewall opens (default 22)
#   --advertise-addr ADDR the swarm's advertise address (default: docker's choice)
#
# What it does: Docker from Debian (docker.io), `docker swarm init`, a `deploy` account in the
# docker group for the CI, a `devs` group for developers (never in the docker group), the sshd
# drop-in sshd_config.d/twittix.conf, and an nftables firewall that leaves only SSH open.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
deploy_key="" ssh_port=22 advertise=""
while [ $# -gt 0 ]; do
	case "$1" in
	--deploy-key) deploy_key=$2; shift 2 ;;
	--ssh-port) ssh_port=$2; shift 2 ;;
	--advertise-addr) advertise=$2; shift 2 ;;
	*) echo "setup.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh: run it as root (sudo $0)" >&2
	exit 1
fi
if [ -n "$deploy_key" ] && ! ssh-keygen -lf "$deploy_key" >/dev/null 2>&1; then
	echo "setup.sh: --deploy-key $deploy_key is not a public key (ssh-keygen -lf cannot read it)" >&2
	exit 2
fi

step() { echo "== $*"; }

step "packages"
missing=()
for p in docker.io nftables openssh-server; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
systemctl enable --now docker

step "swarm"
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != "active" ]; then
	docker swarm init ${advertise:+--advertise-addr "$advertise"}
fi

step "accounts"
getent group devs >/dev/null || groupadd devs
if ! id deploy >/dev/null 2>&1; then
	# A shell is needed: sshd runs ForceCommand through it. The drop-in forbids any other command.
	useradd --create-home --shell /bin/sh --groups docker deploy
fi
usermod --shell /bin/sh --append --groups docker deploy
# No password, but not locked: key logins only.
usermod -p '*' deploy
# A developer must never reach the Docker socket: take devs out of the docker group.
for u in $(getent group devs | cut -d: -f4 | tr ',' ' '); do
	if id -nG "$u" | tr ' ' '\n' | grep -qx docker; then
		echo "setup.sh: removing $u (a member of devs) from the docker group"
		gpasswd -d "$u" docker
	fi
done
if [ -n "$deploy_key" ]; then
	install -d -m 700 -o deploy -g deploy ~deploy/.ssh
	install -m 600 -o deploy -g deploy "$deploy_key" ~deploy/.ssh/authorized_keys
fi

step "sshd"
install -d -m 755 /etc/ssh/sshd_config.d
grep -q '^Include /etc/ssh/sshd_config.d/\*.conf' /etc/ssh/sshd_config ||
	sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config
install -m 644 "$here/sshd_config.d/twittix.conf" /etc/ssh/sshd_config.d/twittix.conf
if [ "$ssh_port" != 22 ]; then
	printf 'Port %s\n' "$ssh_port" >/etc/ssh/sshd_config.d/00-port.conf
else
	rm -f /etc/ssh/sshd_config.d/00-port.conf
fi
sshd -t
systemctl reload ssh || systemctl restart ssh

step "firewall"
install -d -m 755 /etc/twittix
sed "s/tcp dport 22 /tcp dport $ssh_port /" "$here/firewall.nft" >/etc/twittix/firewall.nft
nft -c -f /etc/twittix/firewall.nft
cat >/etc/systemd/system/twittix-firewall.service <<'UNIT'
[Unit]
Description=twittix-1 firewall: only SSH open (/etc/twittix/firewall.nft)
Wants=network-pre.target
Before=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f /etc/twittix/firewall.nft
ExecReload=/usr/sbin/nft -f /etc/twittix/firewall.nft
ExecStop=/usr/sbin/nft delete table inet twittix_firewall

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable twittix-firewall.service
systemctl reload-or-restart twittix-firewall.service

step "done"
echo "twittix-1 is set up. Host key to pin (PREPROD_KNOWN_HOSTS):"
for k in /etc/ssh/ssh_host_*_key.pub; do
	echo "  $(hostname -f) $(cut -d' ' -f1,2 "$k")"
done
