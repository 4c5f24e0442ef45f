{#-
    Data quality per wave and per field (art. 7), published. Counts of persons of the pseudonymised dataset (bron
    koppeling_vdab and verrijking: all newcomers, those VDAB did not enrich or does not know, empty VDAB attributes) are
    the populations the other marts publish, so they go through the same cell key method (telling_datakwaliteit) and
    get the same published value there and here. The counts of rows of the KBI extract (bron kbi_personen: empty,
    invalid and duplicate values, rows with an invalid INSZ included) come from datakwaliteit_feiten (counted during
    each wave from the restricted staging) and are rounded to 5 with small counts withheld (macro afgerond_aantal).
    Every wave in one table, so an analyst rebuilds it from the monitoring database alone.
    Grain: one row per golf x bron x veld.
-#}
with

{{ cell_key_perturbation('mart_datakwaliteit') }},

feiten as (
    select *
    from {{ ref('datakwaliteit_feiten') }}
),

telling as (
    select *
    from feiten
    where bron = 'kbi_personen'
)

-- Rows of the KBI extract: the simpler rule of afgerond_aantal (see _macros.yml).
select
    cast(telling.golf as varchar) as golf,
    cast(telling.bron as varchar) as bron,
    cast(telling.veld as varchar) as veld,
    {{ afgerond_aantal('telling', 'aantal_rijen') }},
    {{ afgerond_aantal('telling', 'aantal_leeg') }},
    {{ afgerond_aantal('telling', 'aantal_ongeldig') }},
    {{ afgerond_aantal('telling', 'aantal_dubbel') }},
    {{ afgerond_aantal('telling', 'aantal_niet_gekoppeld') }}
from telling
union all
-- Persons of the dataset: the cell key method; a count that does not apply to the row is NULL and not withheld.
select
    cast(ckm_resultaat.golf as varchar) as golf,
    cast(ckm_resultaat.bron as varchar) as bron,
    cast(ckm_resultaat.veld as varchar) as veld,
    cast(ckm_resultaat.aantal_rijen as bigint) as aantal_rijen,
    ckm_resultaat.aantal_rijen_onderdrukt,
    cast(ckm_resultaat.aantal_leeg as bigint) as aantal_leeg,
    ckm_resultaat.aantal_leeg_onderdrukt,
    -- codes VDAB sent outside the agreed code list: counted in staging only, rounded like the extract’s rows
    {{ afgerond_aantal('feiten', 'aantal_ongeldig') }},
    cast(null as bigint) as aantal_dubbel,
    false as aantal_dubbel_onderdrukt,
    cast(case when ckm_resultaat.bron = 'koppeling_vdab' then ckm_resultaat.aantal_niet_gekoppeld end as bigint)
        as aantal_niet_gekoppeld,
    ckm_resultaat.bron = 'koppeling_vdab' and ckm_resultaat.aantal_niet_gekoppeld_onderdrukt
        as aantal_niet_gekoppeld_onderdrukt
from ckm_resultaat
left join feiten
    on
        ckm_resultaat.golf = feiten.golf
        and ckm_resultaat.bron = feiten.bron
        and ckm_resultaat.veld = feiten.veld
