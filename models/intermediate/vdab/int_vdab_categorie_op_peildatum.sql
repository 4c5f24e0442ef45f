-- The job-seeker category valid on the reference date. geldig_tot is read as the last valid day (inclusive); when two
-- periods both cover the date (a change on exactly that day written with an exclusive end, or two client records),
-- the period that started last wins, then the lowest code, so the answer is deterministic.
{%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" %}

with

geldig_op_peildatum as (
    select
        koppeling.insz,
        categorie.categorie_code,
        row_number() over (
            partition by koppeling.insz
            order by categorie.geldig_van desc, categorie.categorie_code asc
        ) as volgorde
    from {{ ref('int_vdab_klanten_gekoppeld') }} as koppeling
    inner join {{ ref('stg_vdab__categorie_historiek') }} as categorie
        on koppeling.klant_id = categorie.klant_id
    where
        categorie.categorie_code is not null
        and categorie.geldig_van <= {{ peildatum }}
        and (categorie.geldig_tot is null or categorie.geldig_tot >= {{ peildatum }})
),

codelijst as (
    select
        codes.code,
        codes.omschrijving
    from {{ ref('vdab_codes') }} as codes
    where codes.kenmerk = 'categorie_werkzoekende'
)

select
    geldig_op_peildatum.insz,
    geldig_op_peildatum.categorie_code as huidige_categorie_werkzoekende,
    codelijst.omschrijving as huidige_categorie_werkzoekende_omschrijving
from geldig_op_peildatum
left join codelijst
    on geldig_op_peildatum.categorie_code = codelijst.code
where geldig_op_peildatum.volgorde = 1
