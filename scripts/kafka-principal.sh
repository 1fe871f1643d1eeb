# Sourced by the scripts that start processes against the broker of scripts/kafka.sh.
#
# kafka_principal CREDENTIALS USER: export the SOSA_KAFKA_* variables that make this shell's
# children authenticate as USER (SASL_PLAINTEXT, SCRAM-SHA-512: the loopback listeners of
# scripts/kafka.sh), its password read from the credentials file (NAME=PASSWORD lines, mode 600).
# The password is never printed.
kafka_principal() {
  local password
  if [[ ! -r $1 ]]; then
    echo "kafka_principal: no credentials file $1 (a broker not started by scripts/kafka.sh? set SOSA_KAFKA_USERNAME and SOSA_KAFKA_PASSWORD yourself)" >&2
    return 1
  fi
  password=$(sed -n "s/^$2=//p" "$1")
  if [[ -z $password ]]; then
    echo "kafka_principal: no password for $2 in $1" >&2
    return 1
  fi
  export SOSA_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT SOSA_KAFKA_SASL_MECHANISM=SCRAM-SHA-512
  export SOSA_KAFKA_USERNAME=$2 SOSA_KAFKA_PASSWORD=$password
}
