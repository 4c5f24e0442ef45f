-- Links every requested INSZ to the VDAB client records that carry it (a person can have more than one). A client
-- counts only if at least one of its facts starts on or before the reference date: a client record opened after it
-- must not make the person "known" when the wave is rebuilt later.
{%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" %}

with

aanvraag as (
    select aanvraag.insz
    from {{ ref('int_aanvraag_insz_gededupliceerd') }} as aanvraag
),

gekoppeld as (
    select distinct
        aanvraag.insz,
        personen.klant_id
    from aanvraag
    inner join {{ ref('stg_vdab__personen') }} as personen
        on aanvraag.insz = personen.insz
),

feiten as (
    select
        inschrijvingen.klant_id,
        inschrijvingen.inschrijvingsdatum as datum
    from {{ ref('stg_vdab__inschrijvingen') }} as inschrijvingen
    union all
    select
        categorie.klant_id,
        categorie.geldig_van as datum
    from {{ ref('stg_vdab__categorie_historiek') }} as categorie
    union all
    select
        dienstverlening.klant_id,
        dienstverlening.geldig_van as datum
    from {{ ref('stg_vdab__dienstverlening_historiek') }} as dienstverlening
    union all
    select
        acties.klant_id,
        acties.startdatum as datum
    from {{ ref('stg_vdab__acties') }} as acties
    union all
    select
        werk.klant_id,
        werk.startdatum_werk as datum
    from {{ ref('stg_vdab__werkhervattingen') }} as werk
),

eerste_feit as (
    select
        feiten.klant_id,
        min(feiten.datum) as eerste_feit_datum
    from feiten
    where
        feiten.datum <= {{ peildatum }}
        and feiten.klant_id in (select gekoppeld.klant_id from gekoppeld)
    group by feiten.klant_id
)

select
    gekoppeld.insz,
    gekoppeld.klant_id,
    eerste_feit.eerste_feit_datum
from gekoppeld
inner join eerste_feit
    on gekoppeld.klant_id = eerste_feit.klant_id
