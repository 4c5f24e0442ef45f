{#-
    pseudoniem(insz_expr): the keyed pseudonym of a normalised INSZ, hex HMAC-SHA-256 under the agencies' secret.

    The secret is never part of the SQL: on DuckDB the dbt plugin pijler3.dbt_plugin reads it from the key file named
    in the profile and registers the UDF pijler3_pseudoniem. NULL stays NULL; an invalid INSZ fails the query (staging
    has already turned invalid numbers into NULL, so a failure means a model pseudonymises the wrong column).

    On PostgreSQL the key must equally stay out of SQL: a DBA creates, once, a SECURITY DEFINER function with the same
    name, owned by a role that alone can read the key (a one-row table, or pg_read_file on a 0600 file):
        create function pijler3_pseudoniem(insz text) returns text language sql immutable strict security definer
        as $$ select encode(hmac(convert_to(insz, 'UTF8'), (select sleutel from pijler3_geheim.sleutel), 'sha256'),
                            'hex') $$;   -- hmac() from pgcrypto; sleutel bytea holding the 32 bytes
    and the dbt role is granted EXECUTE only, so postgres__pseudoniem renders the same call as on DuckDB. Normalisation
    then happens in staging only (the DuckDB UDF re-checks it in Python).
-#}
{% macro pseudoniem(insz_expr) %}
    {{ return(adapter.dispatch('pseudoniem', 'pijler3')(insz_expr)) }}
{% endmacro %}

{% macro duckdb__pseudoniem(insz_expr) %}pijler3_pseudoniem({{ insz_expr }}){% endmacro %}

{% macro postgres__pseudoniem(insz_expr) %}pijler3_pseudoniem({{ insz_expr }}){% endmacro %}

{% macro default__pseudoniem(insz_expr) %}
    {{ exceptions.raise_compiler_error(
        "pseudoniem(): no keyed pseudonym for adapter " ~ adapter.type()
        ~ "; see macros/pseudoniem.sql for what an implementation must guarantee (key outside SQL)"
    ) }}
{% endmacro %}


{#-
    recordsleutel(pseudoniem_expr): the secret record key (0 … 255) of the cell key method, HMAC-SHA-256 of the
    pseudonym under the same secret with its own context (pijler3.pseudonym.recordsleutel), read through the plugin
    UDF pijler3_recordsleutel like the pseudonym. Only the model `recordsleutels` calls it; the marts read the stored
    keys, so they build without the pseudonym key.
-#}
{% macro recordsleutel(pseudoniem_expr) %}
    {{ return(adapter.dispatch('recordsleutel', 'pijler3')(pseudoniem_expr)) }}
{% endmacro %}

{% macro duckdb__recordsleutel(pseudoniem_expr) %}pijler3_recordsleutel({{ pseudoniem_expr }}){% endmacro %}

{% macro default__recordsleutel(pseudoniem_expr) %}
    {{ exceptions.raise_compiler_error(
        "recordsleutel(): no record key function for adapter " ~ adapter.type() ~ "; see macros/pseudoniem.sql"
    ) }}
{% endmacro %}


{#-
    ptabel_sleutel(pcv_expr, celsleutel_expr): the secret step of the cell key method between the cell key and the
    p-table look-up (pijler3.pseudonym.ptabel_volgorde: a keyed permutation of the 256 cell keys per p-table row, under
    the same secret with its own context), read through the plugin UDF pijler3_ptabel_sleutel. Only the model
    `ptabel_geheim` calls it; the marts read that table, so they build without the pseudonym key.
-#}
{% macro ptabel_sleutel(pcv_expr, celsleutel_expr) %}
    {{ return(adapter.dispatch('ptabel_sleutel', 'pijler3')(pcv_expr, celsleutel_expr)) }}
{% endmacro %}

{% macro duckdb__ptabel_sleutel(pcv_expr, celsleutel_expr) -%}
    pijler3_ptabel_sleutel({{ pcv_expr }}, {{ celsleutel_expr }})
{%- endmacro %}

{% macro default__ptabel_sleutel(pcv_expr, celsleutel_expr) %}
    {{ exceptions.raise_compiler_error(
        "ptabel_sleutel(): no secret p-table step for adapter " ~ adapter.type() ~ "; see macros/pseudoniem.sql"
    ) }}
{% endmacro %}
