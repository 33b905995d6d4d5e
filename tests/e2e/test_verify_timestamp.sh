#!/bin/bash
# Trusted time for a seal (RFC 3161), with a time-stamp authority of the
# test's own: a throw-away CA and a TSA certificate made with openssl, and
# `openssl ts -reply` answering quire's request. Nothing goes over the
# network.
#  - round trip: quire seal --tsq, openssl ts -reply, quire seal --tsr,
#    quire verify --tsa-cert CA: exit 0, the token valid;
#  - a token for other data is refused by quire seal --tsr (exit 1, nothing
#    stored), and one stored behind quire's back is found by verify;
#  - another CA does not vouch for the token; a changed token fails;
#  - --tsa-cert on a ledger whose seals have no token is a finding.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init verify_timestamp
cd "$work" || exit 1
command -v openssl >/dev/null || e2e_skip "no openssl command"
PY=/usr/bin/python3
ATTACK="$PY $QUIRE_SRC/tests/e2e/ledger_attack.py"
Q() { "$QUIRE_BIN" "$@"; }
n_stamps() { $PY -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM events WHERE kind = ?",
      ("seal_timestamp",)).fetchone()[0])' q.db; }

# --- a throw-away CA and time-stamp authority ---------------------------------------
mkdir tsa
cat >tsa/tsa.cnf <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = quire test CA
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_tsa ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ./serial
signer_cert = ./tsa.crt
certs = ./ca.crt
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
EOF
(
  cd tsa || exit 1
  EC=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  openssl req -x509 -new "${EC[@]}" -keyout ca.key -out ca.crt -days 2 -config tsa.cnf \
    -extensions v3_ca &&
  openssl req -new "${EC[@]}" -keyout tsa.key -out tsa.csr -subj "/CN=quire test TSA" &&
  openssl x509 -req -in tsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tsa.crt -days 2 \
    -extfile tsa.cnf -extensions v3_tsa &&
  openssl req -x509 -new "${EC[@]}" -keyout other-ca.key -out other-ca.crt -days 2 \
    -subj "/CN=another CA" &&
  echo 01 >serial
) >tsa.log 2>&1 || e2e_skip "openssl could not make a test CA: $(tail -2 tsa.log)"
reply() { # REQUEST RESPONSE
  (cd tsa && openssl ts -reply -queryfile "../$1" -config tsa.cnf -out "../$2") >>tsa.log 2>&1
}

# --- a ledger with a seal ------------------------------------------------------------
Q plan set 2030-12-31 100 --ledger q.db >/dev/null && Q keygen --out k.pem >/dev/null &&
  ok "a ledger and a key" || bad "plan set / keygen"
Q seal --key k.pem --ledger q.db --tsq req.tsq >seal.out 2>&1 && [ -s req.tsq ] &&
  ok "seal and request: $(tail -1 seal.out)" || bad "seal --tsq: $(cat seal.out)"
openssl ts -query -in req.tsq -text >req.txt 2>&1 && grep -q 'Hash Algorithm: sha256' req.txt &&
  grep -q 'Certificate required: yes' req.txt && grep -q 'Nonce: 0x' req.txt &&
  ok "the request: SHA-256, a nonce, the certificate asked for" || bad "request: $(cat req.txt)"
# the imprint is the SHA-256 of the seal's payload: the signed text
want=$($PY -c 'import json, sys
d = json.load(open("q.db.seal-1.json")); d.pop("sig")
print(__import__("hashlib").sha256(json.dumps(d, separators=(",", ":")).encode()).hexdigest())')
got=$(openssl ts -query -in req.tsq -text 2>/dev/null | sed -n '/Message data:/,/Policy/p' | grep -- ' - ' |
  sed 's/^ *[0-9a-f]* - //; s/   .*//; s/[- ]//g' | tr -d '\n')
[ "$got" = "$want" ] && ok "the request stamps the seal's payload ($want)" ||
  bad "imprint $got, payload digest $want"

# --- the round trip -------------------------------------------------------------------
reply req.tsq resp.tsr && ok "the test authority answered" || bad "openssl ts -reply: $(tail -3 tsa.log)"
rc=0; Q seal --tsr resp.tsr --ledger q.db >tsr.out 2>&1 || rc=$?
[ "$rc" -eq 0 ] && [ "$(n_stamps)" = 1 ] && ok "seal --tsr stored it: $(cat tsr.out)" ||
  bad "seal --tsr: exit $rc $(cat tsr.out)"
rc=0; Q verify --ledger q.db --pubkey k.pub.pem --tsa-cert tsa/ca.crt --quiet >v.out 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q '^  time-stamps: 1 (1 valid)' v.out &&
  ok "verify --tsa-cert: exit 0, $(grep time-stamps v.out)" || bad "verify: exit $rc $(cat v.out)"
rc=0; Q verify --ledger q.db --quiet >v.out 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q '^  time-stamps: 1 (not checked: give --tsa-cert)' v.out &&
  ok "without --tsa-cert the token is listed, not checked" || bad "verify: exit $rc $(cat v.out)"

# --- a token for other data --------------------------------------------------------------
echo "other data" >other.txt
openssl ts -query -data other.txt -sha256 -cert -out other.tsq 2>>tsa.log && reply other.tsq other.tsr
rc=0; Q seal --tsr other.tsr --ledger q.db >tsr.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q 'quire seal: other.tsr: the token is for other data' tsr.out &&
  [ "$(n_stamps)" = 1 ] && ok "seal --tsr refuses a token for other data: exit 1, nothing stored" ||
  bad "other data: exit $rc $(cat tsr.out), $(n_stamps) tokens"
rc=0; Q seal --tsr other.txt --ledger q.db >tsr.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q 'not a time-stamp response' tsr.out &&
  ok "seal --tsr refuses what is no response: exit 1" || bad "not a response: exit $rc $(cat tsr.out)"
cp q.db q.db.good
$ATTACK q.db append-event seal_timestamp \
  "{\"seal\":1,\"seal_event\":2,\"time\":\"2024-01-01T00:00:00Z\",\"tsr\":\"$(base64 -w0 other.tsr)\"}"
rc=0; Q verify --ledger q.db --tsa-cert tsa/ca.crt --quiet >v.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -Eq '^timestamp: the time-stamp token of seal 1 \(event 4\) does not hold: the token is for other data' v.out &&
  ok "a token for other data stored behind quire's back: exit 1, named" || bad "injected: exit $rc $(cat v.out)"
cp q.db.good q.db

# --- another CA, a changed token ------------------------------------------------------------
rc=0; Q verify --ledger q.db --tsa-cert tsa/other-ca.crt --quiet >v.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q '^timestamp: the time-stamp token of seal 1 .* does not hold: .*certificate' v.out &&
  ok "another CA: exit 1: $(grep '^timestamp' v.out)" || bad "other CA: exit $rc $(cat v.out)"
$PY - <<'EOF'
import base64, json, sqlite3
c = sqlite3.connect("q.db")
c.execute("DROP TRIGGER events_no_update")
i, d = c.execute("SELECT id, detail FROM events WHERE kind = 'seal_timestamp'").fetchone()
d = json.loads(d); t = bytearray(base64.b64decode(d["tsr"])); t[-40] ^= 1
d["tsr"] = base64.b64encode(bytes(t)).decode()
c.execute("UPDATE events SET detail = ? WHERE id = ?", (json.dumps(d, separators=(",", ":")), i))
c.commit()
EOF
rc=0; Q verify --ledger q.db --tsa-cert tsa/ca.crt --quiet >v.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q '^timestamp: the time-stamp token of seal 1 .* does not hold' v.out &&
  grep -q '^chain: event 3 ' v.out &&
  ok "a changed token: its signature fails, and the chain breaks there" || bad "changed token: exit $rc $(cat v.out)"
cp q.db.good q.db

# --- a second seal without a token; --seal N ---------------------------------------------------
Q seal --key k.pem --ledger q.db >/dev/null
Q seal --tsq req2.tsq --ledger q.db >/dev/null && reply req2.tsq resp2.tsr
rc=0; Q seal --tsr resp2.tsr --seal 1 --ledger q.db >tsr.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q 'for other data' tsr.out &&
  ok "seal 2's token is refused for seal 1" || bad "--seal 1: exit $rc $(cat tsr.out)"
rc=0; Q seal --tsr resp2.tsr --ledger q.db >tsr.out 2>&1 || rc=$?
rc2=0; Q verify --ledger q.db --pubkey k.pub.pem --tsa-cert tsa/ca.crt --quiet >v.out 2>&1 || rc2=$?
[ "$rc" -eq 0 ] && [ "$rc2" -eq 0 ] && grep -q '^  time-stamps: 2 (2 valid)' v.out &&
  ok "the latest seal's token stored and valid: 2 tokens" || bad "seal 2: exit $rc/$rc2 $(cat tsr.out v.out)"
rm -f q.db*; Q plan set 2030-12-31 100 --ledger q.db >/dev/null
Q seal --key k.pem --ledger q.db >/dev/null
rc=0; Q verify --ledger q.db --tsa-cert tsa/ca.crt --quiet >v.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q '^timestamp: no seal of the ledger has a time-stamp token' v.out &&
  ok "--tsa-cert with no token: a finding" || bad "no token: exit $rc $(cat v.out)"
rc=0; Q seal --tsr resp.tsr --seal 7 --ledger q.db >tsr.out 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q 'has no seal 7' tsr.out && ok "--seal 7: no such seal, exit 2" ||
  bad "--seal 7: exit $rc $(cat tsr.out)"
e2e_finish
