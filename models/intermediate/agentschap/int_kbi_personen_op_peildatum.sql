-- The wave’s population with its KBI profile (art. 3) as it stood on the reference date. Grain: one row per person,
-- identified by the INSZ the person carries on the reference date (a replaced bis number counts as that person).
-- The population is the request’s (models/uitwisseling/aanvraag): contracts from 1 March 2022, when the third pillar
-- started, up to the reference date. A date after the reference date is a fact that had not happened yet: NULL here.
-- Duplicate KBI rows of one person (reported by staging) collapse to the most recently registered row, then the first
-- line of the file, so a rebuilt wave is unchanged.
{%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" %}
{#- The profile carries staging’s codes, never the free-text labels as entered (`*_ruw`): an unmapped label is NULL
    here and reported by staging (art. 7). -#}
{%- set labels = [
    'leeftijdscategorie', 'geslacht', 'scholingsniveau', 'oudste_nationaliteit', 'doelgroep', 'kbi_regio',
    'plo_besluit', 'plo_reden_besluit', 'ingeschat_taalleervermogen', 'hoogst_behaald_niveau_nt2', 'trajecttype',
    'resultaat_diplomagelijkschakeling', 'verblijfsstatus'
] %}
{%- set datums = ['datum_toeleiding_vdab', 'datum_doelgroep', 'datum_aanmelding', 'datum_inburgeringscontract'] %}

with

personen as (
    select personen.* replace (coalesce(vervangingen.actueel_insz, personen.insz) as insz)
    from {{ ref('stg_kbi__personen') }} as personen
    left join {{ ref('int_insz_vervangingen_opgelost') }} as vervangingen
        on personen.insz = vervangingen.oud_insz
    where
        personen.insz is not null
        and personen.datum_inburgeringscontract >= cast('2022-03-01' as date)
        and personen.datum_inburgeringscontract <= {{ peildatum }}
),

gerangschikt as (
    select
        personen.*,
        count(*) over (partition by personen.insz) as aantal_kbi_rijen,
        row_number() over (
            partition by personen.insz
            order by personen.datum_aanmelding desc nulls last, personen._regelnummer asc
        ) as volgorde
    from personen
)

select
    gerangschikt.insz,
    gerangschikt.aantal_kbi_rijen,
    {%- for kenmerk in labels %}
        gerangschikt.{{ kenmerk }}_code as {{ kenmerk }},
    {%- endfor %}
    {%- for datum in datums %}
        case when gerangschikt.{{ datum }} <= {{ peildatum }} then gerangschikt.{{ datum }} end as {{ datum }},
    {%- endfor %}
    gerangschikt.toeleiding_diplomagelijkschakeling,
    gerangschikt.heeft_ocmw_leefloon
from gerangschikt
where gerangschikt.volgorde = 1
