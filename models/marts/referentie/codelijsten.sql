{#-
    Every code a BI user meets in the marts, with its Dutch meaning, so the BI file explains itself without the seeds.
    Grain: one row per kenmerk x code. `kenmerk` is named as the marts name it (`dimensie` of the one-way marts,
    `kenmerk` of mart_dienstverlening_vdab, `toestand` of mart_overgangen); ja/nee lists are repeated per yes/no
    attribute and `onbekend` is added to every list that lacks it, so every published value joins to one row.
-#}
with

codes as (
    select
        'KBI' as bron,
        kbi.kenmerk,
        kbi.code,
        kbi.omschrijving,
        kbi.herkomst
    from {{ ref('kbi_codes') }} as kbi
    where kbi.kenmerk <> 'ja_nee'
    union all
    select
        'VDAB' as bron,
        vdab.kenmerk,
        vdab.code,
        vdab.omschrijving,
        vdab.herkomst
    from {{ ref('vdab_codes') }} as vdab
    where vdab.kenmerk <> 'actietype'
),

ja_nee_kenmerken as (
    -- each answer spelled out: "nee" reads as the opposite of "ja", never as "nee: kreeg een actie"
    select
        'KBI' as bron,
        kbi_ja_nee.kenmerk,
        kbi_ja_nee.als_ja,
        kbi_ja_nee.als_nee
    from (
        values
        (
            'toeleiding_diplomagelijkschakeling',
            'toegeleid naar diplomagelijkschakeling',
            'niet toegeleid naar diplomagelijkschakeling'
        ),
        ('heeft_ocmw_leefloon', 'ontvangt een leefloon van het OCMW', 'ontvangt geen leefloon van het OCMW')
    ) as kbi_ja_nee (kenmerk, als_ja, als_nee)
    union all
    select
        'VDAB' as bron,
        'actie_' || actietype.code as kenmerk,
        'kreeg tot de peildatum minstens één actie van type ' || actietype.omschrijving as als_ja,
        'kreeg tot de peildatum geen enkele actie van type ' || actietype.omschrijving as als_nee
    from {{ ref('vdab_codes') }} as actietype
    where actietype.kenmerk = 'actietype'
),

ja_nee as (
    select
        ja_nee_kenmerken.bron,
        ja_nee_kenmerken.kenmerk,
        jn.code,
        jn.code || ': '
        || case when jn.code = 'ja' then ja_nee_kenmerken.als_ja else ja_nee_kenmerken.als_nee end as omschrijving,
        jn.herkomst
    from ja_nee_kenmerken
    cross join {{ ref('kbi_codes') }} as jn
    where jn.kenmerk = 'ja_nee'
),

toestanden as (
    select
        'VDAB' as bron,
        'toestand' as kenmerk,
        status.code,
        status.omschrijving,
        status.herkomst
    from {{ ref('vdab_codes') }} as status
    where status.kenmerk = 'status_dienstverlening'
    union all
    select
        'VDAB' as bron,
        'toestand' as kenmerk,
        extra.code,
        extra.omschrijving,
        'publiek' as herkomst
    from (
        values
        ('uitgestroomd naar werk', 'uitgestroomd naar werk (VDAB kent een startdatum werk)'),
        ('niet gekend bij VDAB', 'niet gekend bij VDAB op de peildatum')
    ) as extra (code, omschrijving)
),

alle as (
    select * from codes
    union all
    select * from ja_nee
    union all
    select * from toestanden
),

onbekend as (
    select distinct
        alle.bron,
        alle.kenmerk,
        'onbekend' as code,
        'onbekend: leeg in de bron, een code buiten de codelijst of geen waarde op de peildatum'
        || ' (zie lees_mij, onderwerp onbekend)' as omschrijving,
        'publiek' as herkomst
    from alle
    where not exists (
        select 1 from alle as met_onbekend
        where met_onbekend.kenmerk = alle.kenmerk and met_onbekend.code = 'onbekend'
    )
),

gelabeld as (
    select * from alle
    union all
    select * from onbekend
)

select
    cast(gelabeld.kenmerk as varchar) as kenmerk,
    cast(gelabeld.code as varchar) as code,
    cast(gelabeld.omschrijving as varchar) as omschrijving,
    cast(gelabeld.bron as varchar) as bron,
    cast(gelabeld.herkomst as varchar) as herkomst,
    -- The agencies split the work by region: Atlas serves the city of Antwerp, IN-Gent the city of Ghent.
    cast(
        case
            when gelabeld.kenmerk <> 'kbi_regio' or gelabeld.code = 'onbekend' then null
            when gelabeld.code = 'stad_antwerpen' then 'Atlas'
            when gelabeld.code = 'stad_gent' then 'IN-Gent'
            else 'Agentschap Integratie en Inburgering'
        end as varchar
    ) as agentschap
from gelabeld
