-- Which pseudonym replaced which: the pseudonym of a replaced INSZ (usually a bis number) and that of the number the
-- person carries now. A wave pseudonymises the number current on its reference date, so a person whose bis number
-- was replaced between two waves appears under two pseudonyms; this table lets the wave history join them without
-- keeping any INSZ. Grain: one row per old pseudonym. Incremental so replacements seen in earlier waves stay when a
-- later extract no longer lists them; a later replacement of the same number overwrites the row.
{{
    config(
        materialized=wave_materialisatie('incremental'),
        incremental_strategy='delete+insert',
        unique_key='oud_pseudoniem'
    )
}}

select
    cast({{ pseudoniem('vervangingen.oud_insz') }} as varchar) as oud_pseudoniem,
    cast({{ pseudoniem('vervangingen.actueel_insz') }} as varchar) as nieuw_pseudoniem,
    cast('{{ var("golf") }}' as varchar) as vastgesteld_in_golf
from {{ ref('int_insz_vervangingen_opgelost') }} as vervangingen
