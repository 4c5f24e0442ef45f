{#-
    The agencies’ art. 7 correction notice to VDAB (pijler3.meldingen sends it), two kinds of records:
    - insz_onbekend_bij_vdab: newcomers the agencies referred to VDAB (KBI datum_toeleiding_vdab on or before the
      reference date) whom VDAB’s enrichment marks as not known. VDAB may hold them under a wrong or missing INSZ. Not
      being registered at VDAB is the outcome the monitor measures, not an error, so only referred newcomers are
      notified.
    - code_onbekend: a line of the enrichment with a code that is not in the agreed code list (staging names the column
      in onbekende_codes; the value itself is never repeated, it may hold anything).
    Grain: one row per INSZ, reason and column. A table in the restricted database, like the other exchange files.
-#}
with

niet_gekend as (
    select
        verrijking.insz,
        'insz_onbekend_bij_vdab' as reden,
        'gekend_bij_vdab' as detail
    from {{ ref('stg_uitwisseling__verrijking') }} as verrijking
    inner join {{ ref('int_kbi_personen_op_peildatum') }} as personen on verrijking.insz = personen.insz
    where not verrijking.gekend_bij_vdab and personen.datum_toeleiding_vdab is not null
),

onbekende_code as (
    select distinct
        verrijking.insz,
        'code_onbekend' as reden,
        unnest(string_split(verrijking.onbekende_codes, ',')) as detail
    from {{ ref('stg_uitwisseling__verrijking') }} as verrijking
    where verrijking.insz is not null and verrijking.onbekende_codes is not null
),

bevindingen as (
    select * from niet_gekend
    union all
    select * from onbekende_code
)

select
    cast(bevindingen.insz as varchar) as insz,
    cast(bevindingen.reden as varchar) as reden,
    cast(bevindingen.detail as varchar) as detail
from bevindingen
