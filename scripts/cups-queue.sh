#!/usr/bin/env bash
# Make sure a CUPS scheduler is running and a PDF queue named NAC-PDF exists.
# Idempotent: safe to run again; it only starts/creates what is missing.
#
# Works without systemd (containers, CI): cupsd is started directly. The queue
# uses the cups-pdf backend (Debian: printer-driver-cups-pdf), which writes each
# job as a PDF into the submitting user's ~/PDF (root: /root/PDF) or, for
# anonymous jobs, /var/spool/cups-pdf/ANONYMOUS. If cups-pdf is missing, a
# file-backed raw queue writing /var/spool/nac-cups/out.pdf is created instead.
#
# Prints the directory where printed PDFs appear on its last line:
#   NAC_CUPS_OUTPUT=<dir>
set -euo pipefail

QUEUE="${NAC_CUPS_QUEUE:-NAC-PDF}"

if ! command -v cupsd >/dev/null || ! command -v lpadmin >/dev/null; then
    echo "cups-queue.sh: cupsd/lpadmin not found (apt-get install cups cups-client printer-driver-cups-pdf)" >&2
    exit 1
fi

scheduler_running() {
    LC_ALL=C lpstat -r 2>/dev/null | grep -q "scheduler is running"
}

if ! scheduler_running; then
    mkdir -p /run/cups /var/spool/cups /var/cache/cups /var/log/cups
    cupsd # daemonises itself
    for _ in $(seq 1 50); do
        scheduler_running && break
        sleep 0.2
    done
    if ! scheduler_running; then
        echo "cups-queue.sh: cupsd did not start (see /var/log/cups/error_log)" >&2
        exit 1
    fi
fi

output_dir=""
if ! lpstat -p "$QUEUE" >/dev/null 2>&1; then
    model="$(lpinfo -m 2>/dev/null | awk '/CUPS-PDF_opt\.ppd/ {print $1; exit}')"
    if [ -n "$model" ] && [ -x /usr/lib/cups/backend/cups-pdf ]; then
        lpadmin -p "$QUEUE" -E -v cups-pdf:/ -m "$model" -D "NAC Station PDF (cups-pdf)"
    else
        # Fallback: a raw queue writing to a file (FileDevice must be allowed).
        conf=/etc/cups/cups-files.conf
        if ! grep -q "^FileDevice Yes" "$conf" 2>/dev/null; then
            echo "FileDevice Yes" >>"$conf"
            kill -HUP "$(pgrep -x cupsd | head -n1)" 2>/dev/null || true
            sleep 1
        fi
        mkdir -p /var/spool/nac-cups
        chmod 1777 /var/spool/nac-cups
        lpadmin -p "$QUEUE" -E -v file:///var/spool/nac-cups/out.pdf -m raw -D "NAC Station PDF (file)"
    fi
fi
cupsenable "$QUEUE"
cupsaccept "$QUEUE"

if LC_ALL=C lpstat -v "$QUEUE" 2>/dev/null | grep -q "cups-pdf:"; then
    home_out="$(awk '$1 == "Out" {print $2}' /etc/cups/cups-pdf.conf 2>/dev/null | tail -n1)"
    [ -n "$home_out" ] || home_out='${HOME}/PDF'  # cups-pdf's default
    output_dir="$(printf '%s' "$home_out" | sed "s|\${HOME}|${HOME:-/root}|")"
    mkdir -p "$output_dir" /var/spool/cups-pdf/ANONYMOUS
else
    output_dir=/var/spool/nac-cups
fi
LC_ALL=C lpstat -p "$QUEUE"
echo "NAC_CUPS_OUTPUT=$output_dir"
